// Package features embeds the built-in Gherkin features, so an installed
// ovacts binary carries the whole suite. One directory per area.
package features

import "embed"

// FS holds every built-in feature file, rooted at the area directories
// ("domain/lifecycle.feature"), and references.yaml: the references the
// requirements' levels are cited from (@ref:<key>); and sets/, the
// requirement sets (one generated JSON file per release, YYYY.MM.json).
//
//go:embed */*.feature references.yaml sets/*.json
var FS embed.FS
