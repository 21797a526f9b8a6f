package catalogue

import (
	"fmt"
	"slices"
	"strings"
)

// Closest is the candidate a mistyped word most likely meant: the nearest by
// edit distance (case aside), if it is within a third of the word's length
// (at least 1, at most 3), else "".
func Closest(word string, candidates []string) string {
	best, bestDist := "", min(max(len(word)/3, 1), 3)+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestDist && c != word {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean is " (did you mean X?)" for the closest candidate, or "".
func DidYouMean(word string, candidates []string) string {
	if c := Closest(word, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %s?)", c)
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// UnknownTagsError refuses the tags of expr that no loaded scenario carries,
// suggesting for each the nearest tag that one does; nil when all are known.
func (s *Suite) UnknownTagsError(expr *TagExpr) error {
	unknown := s.UnknownTags(expr)
	if len(unknown) == 0 {
		return nil
	}
	var known []string
	for _, p := range s.Pickles {
		for _, t := range p.Tags {
			if !slices.Contains(known, t) {
				known = append(known, t)
			}
		}
	}
	slices.Sort(known)
	var words []string
	for _, t := range unknown {
		words = append(words, t+DidYouMean(t, known))
	}
	return fmt.Errorf("unknown tag %s: no loaded scenario carries it", strings.Join(words, ", "))
}
