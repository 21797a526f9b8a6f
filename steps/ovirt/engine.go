package ovirt

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/xmllint"
	"github.com/ovacts/ovacts/steps/stepkit"
)

func requestAnSsoTokenWithScope(ctx context.Context, scope string) error {
	return W(ctx).requestToken(ctx, scope)
}

func requestAnSsoTokenWithoutAScope(ctx context.Context) error {
	return W(ctx).requestToken(ctx, "")
}

func ssoTokenForTheApi(ctx context.Context) error {
	w := W(ctx)
	if err := w.requestToken(ctx, "ovirt-app-api"); err != nil {
		return err
	}
	if st := w.engineSt(); st.token == "" {
		return fmt.Errorf("the SSO issued no token (HTTP %d, error %q: %s)", st.ssoCode, st.sso.ErrorCode, st.sso.Error)
	}
	return nil
}

func ssoAnswerIsABearerTokenWhose(ctx context.Context, scope string) error {
	_, st, err := W(ctx).ovirt()
	if err != nil {
		return err
	}
	a := st.sso
	switch {
	case st.ssoCode != http.StatusOK || a.AccessToken == "":
		return fmt.Errorf("no token: HTTP %d, error %q: %s", st.ssoCode, a.ErrorCode, a.Error)
	case !strings.EqualFold(a.TokenType, "bearer"):
		return fmt.Errorf("token_type is %q, want bearer", a.TokenType)
	case !containsWord(a.Scope, scope):
		return fmt.Errorf("the token's scope %q lacks %q", a.Scope, scope)
	}
	return nil
}

func apiRootAnswersWithThatToken(ctx context.Context, code string) error {
	w := W(ctx)
	_, st, err := w.ovirt()
	if err != nil {
		return err
	}
	if st.token == "" {
		return errors.New("the scenario has no token")
	}
	resp, err := w.api(ctx, http.MethodGet, "/ovirt-engine/api", "application/xml", nil, nil)
	if err != nil {
		return err
	}
	if fmt.Sprint(resp.status) != code {
		return fmt.Errorf("the API root answers %s, want %s", resp, code)
	}
	return nil
}

func eitherTheSSORefusedItOrTheAPIAnswers401(ctx context.Context) error {
	w := W(ctx)
	_, st, err := w.ovirt()
	if err != nil {
		return err
	}
	if st.token == "" {
		if st.sso.Error == "" && st.sso.ErrorCode == "" {
			return fmt.Errorf("the SSO endpoint issued no token and named no error (HTTP %d)", st.ssoCode)
		}
		return nil // refused at the SSO: no token, with an error
	}
	resp, err := w.api(ctx, http.MethodGet, "/ovirt-engine/api", "application/xml", nil, nil)
	if err != nil {
		return err
	}
	if resp.status != http.StatusUnauthorized {
		return fmt.Errorf("a token issued without scope=ovirt-app-api (scope %q) gets %s from the API root, want 401", st.sso.Scope, resp)
	}
	return nil
}

func getAnswers(ctx context.Context, path, hname, hvalue, code, doc string) error {
	w := W(ctx)
	h := http.Header{}
	if hname != "" {
		h.Set(hname, hvalue)
	}
	resp, err := w.api(ctx, http.MethodGet, path, "application/xml", h, nil)
	if err != nil {
		return err
	}
	if fmt.Sprint(resp.status) != code {
		return fmt.Errorf("GET %s (%s: %s) answers %s, want %s", path, hname, hvalue, resp, code)
	}
	if doc != "" {
		if _, err := parseAPIDoc(resp); err != nil {
			return fmt.Errorf("GET %s: %w", path, err)
		}
	}
	return nil
}

func apiRootAsApplicationXmlIsAn(ctx context.Context) error {
	resp, err := W(ctx).api(ctx, http.MethodGet, "/ovirt-engine/api", "application/xml", nil, nil)
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK || resp.ctype != "application/xml" {
		return fmt.Errorf("asked for application/xml, got %s", resp)
	}
	_, err = parseAPIDoc(resp)
	return err
}

func apiRootAsApplicationJsonIsAn(ctx context.Context) error {
	resp, err := W(ctx).api(ctx, http.MethodGet, "/ovirt-engine/api", "application/json", nil, nil)
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK || resp.ctype != "application/json" {
		return fmt.Errorf("asked for application/json, got %s", resp)
	}
	var doc struct {
		ProductInfo struct {
			Name string `json:"name"`
		} `json:"product_info"`
	}
	if err := json.Unmarshal(resp.body, &doc); err != nil {
		return fmt.Errorf("not a JSON object: %w: %s", err, resp)
	}
	if doc.ProductInfo.Name == "" {
		return fmt.Errorf("the JSON root names no product (product_info.name): %s", resp)
	}
	return nil
}

func apiRootLinksUnder(ctx context.Context, rels, prefix string) error {
	resp, err := W(ctx).api(ctx, http.MethodGet, "/ovirt-engine/api", "application/xml", nil, nil)
	if err != nil {
		return err
	}
	doc, err := parseAPIDoc(resp)
	if err != nil {
		return err
	}
	have := map[string]string{}
	for _, l := range doc.Links {
		have[l.Rel] = l.Href
	}
	var bad []string
	for _, rel := range strings.Split(rels, ",") {
		rel = strings.TrimSpace(rel)
		href, ok := have[rel]
		switch {
		case !ok:
			bad = append(bad, rel+": no link")
		case !strings.HasPrefix(href, prefix):
			bad = append(bad, fmt.Sprintf("%s: href %q not under %s", rel, href, prefix))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the API root's links: %s", strings.Join(bad, "; "))
	}
	return nil
}

func postAnEmptyVmDocumentAskingFor(ctx context.Context, accept string) error {
	w := W(ctx)
	// The engine validates a new VM's parameters before anything else: an
	// empty document names no name, cluster or template and must be refused.
	resp, err := w.api(ctx, http.MethodPost, "/ovirt-engine/api/vms", accept, nil, []byte("<vm/>"))
	if err != nil {
		return err
	}
	if resp.status/100 == 2 {
		var v vmDoc
		if xml.Unmarshal(resp.body, &v) == nil && v.ID != "" {
			e, st, _ := w.ovirt()
			token, id := st.token, v.ID
			w.Tracker.Defer("oVirt VM "+id+" made from an empty document", func() error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				return removeVM(ctx, e, token, id)
			})
		}
	}
	return nil
}

func apiAnswers400WithAFaultThat(ctx context.Context) error {
	_, st, err := W(ctx).ovirt()
	if err != nil {
		return err
	}
	resp := st.last
	if resp == nil {
		return errors.New("no request was made")
	}
	if resp.status != http.StatusBadRequest {
		return fmt.Errorf("want 400, got %s", resp)
	}
	var reason, detail string
	switch st.accept {
	case "application/json":
		var f struct {
			Reason string `json:"reason"`
			Detail string `json:"detail"`
		}
		if resp.ctype != "application/json" || json.Unmarshal(resp.body, &f) != nil {
			return fmt.Errorf("not a JSON fault: %s", resp)
		}
		reason, detail = f.Reason, f.Detail
	default:
		var f struct {
			XMLName xml.Name `xml:"fault"`
			Reason  string   `xml:"reason"`
			Detail  string   `xml:"detail"`
		}
		if resp.ctype != "application/xml" || xml.Unmarshal(resp.body, &f) != nil {
			return fmt.Errorf("not a <fault> document: %s", resp)
		}
		reason, detail = f.Reason, f.Detail
	}
	if strings.TrimSpace(reason) == "" || strings.TrimSpace(detail) == "" {
		return fmt.Errorf("the fault lacks a reason or a detail: %s", resp)
	}
	return nil
}

func logOutThroughTheSsoLogoutService(ctx context.Context) error {
	e, st, err := W(ctx).ovirt()
	if err != nil {
		return err
	}
	resp, err := logout(ctx, e, st.token)
	if err != nil {
		return err
	}
	var a ssoAnswer
	if resp.status != http.StatusOK || (json.Unmarshal(resp.body, &a) == nil && a.Error != "") {
		return fmt.Errorf("logout: %s", resp)
	}
	return nil
}

func xsdTheEngineServesAt(ctx context.Context, path string) error {
	w := W(ctx)
	resp, err := w.api(ctx, http.MethodGet, path, "application/xml", nil, nil)
	if err != nil {
		return err
	}
	var root struct{ XMLName xml.Name }
	if resp.status != http.StatusOK || xml.Unmarshal(resp.body, &root) != nil ||
		root.XMLName.Local != "schema" || root.XMLName.Space != "http://www.w3.org/2001/XMLSchema" {
		return fmt.Errorf("GET %s: not an XML Schema: %s", path, resp)
	}
	w.engineSt().xsd = resp.body
	return nil
}

func getAsXmlValidatesAgainstThatXsd(ctx context.Context, path string) error {
	w := W(ctx)
	_, st, err := w.ovirt()
	if err != nil {
		return err
	}
	if st.xsd == nil {
		return errors.New("no XSD was fetched")
	}
	resp, err := w.api(ctx, http.MethodGet, path, "application/xml", nil, nil)
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		return harness.NotRun("xmllint (libxml2-utils) is needed to validate against the XSD")
	}
	dir, err := w.ScratchDir("xsd")
	if err != nil {
		return err
	}
	xsd := filepath.Join(dir, "api.xsd")
	if err := os.WriteFile(xsd, st.xsd, 0o644); err != nil {
		return err
	}
	if err := xmllint.Check(ctx, resp.body, xsd); err != nil {
		return fmt.Errorf("GET %s %w", path, err)
	}
	return nil
}

func registerEngine(r *stepkit.Registry) {
	r.Step(`^I request an SSO token with scope "([^"]*)"$`, requestAnSsoTokenWithScope)
	r.Step(`^I request an SSO token without a scope$`, requestAnSsoTokenWithoutAScope)
	r.Step(`^an SSO token for the API$`, ssoTokenForTheApi)
	r.Step(`^the SSO answer is a bearer token whose scope includes "([^"]*)"$`, ssoAnswerIsABearerTokenWhose)
	r.Step(`^the API root answers (200|401) with that token$`, apiRootAnswersWithThatToken)
	r.Step(`^either the SSO endpoint refused it or the API root answers 401 with that token$`, eitherTheSSORefusedItOrTheAPIAnswers401)
	r.Step(`^GET "([^"]*)"(?: with header "([^:"]*): ([^"]*)")? answers (\d+)( with an api document)?$`, getAnswers)
	r.Step(`^the API root as application/xml is an api document naming the product$`, apiRootAsApplicationXmlIsAn)
	r.Step(`^the API root as application/json is an object naming the product$`, apiRootAsApplicationJsonIsAn)
	r.Step(`^the API root links "([^"]*)" under "([^"]*)"$`, apiRootLinksUnder)
	r.Step(`^I post an empty VM document asking for (application/xml|application/json)$`, postAnEmptyVmDocumentAskingFor)
	r.Step(`^the API answers 400 with a fault that has a reason and a detail$`, apiAnswers400WithAFaultThat)
	r.Step(`^I log out through the SSO logout service$`, logOutThroughTheSsoLogoutService)
	r.Step(`^the XSD the engine serves at "([^"]*)"$`, xsdTheEngineServesAt)
	r.Step(`^GET "([^"]*)" as XML validates against that XSD$`, getAsXmlValidatesAgainstThatXsd)
	r.Step(`^(?:I )?create VM "([^"]*)" from the run's template in the first cluster$`, createVMFromTheRunsTemplateInTheFirstCluster)
	r.Step(`^VM "([^"]*)" is listed with status "([^"]*)"$`, vmIsListedWithStatus)
	r.Step(`^I (start|stop|remove) VM "([^"]*)"$`, lifecycleVM)
	r.Step(`^VM "([^"]*)" is no longer listed$`, vmIsNoLongerListed)
	r.Step(`^VM "([^"]*)" reaches status "([^"]*)" within (\d+) seconds$`, vmReachesStatusWithinSeconds)
}
