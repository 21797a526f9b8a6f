package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ovacts/ovacts/harness"
)

// The oVirt engine API, on the wire: raw HTTP, since the checks are about
// what the engine sends (status codes, media types, documents).

// engineState is a scenario's state against the engine.
type engineState struct {
	sso     ssoAnswer
	ssoCode int
	token   string
	last    *engineResp
	accept  string
	xsd     []byte
	vms     map[string]string // logical VM -> id
}

type ssoAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	Error       string `json:"error"`
	ErrorCode   string `json:"error_code"`
}

type engineResp struct {
	status int
	ctype  string
	body   []byte
}

func (r *engineResp) String() string {
	b := string(r.body)
	if len(b) > 300 {
		b = b[:300] + "..."
	}
	return fmt.Sprintf("HTTP %d (%s) %q", r.status, r.ctype, b)
}

func (w *world) ovirt() (*harness.OVirtEngine, *engineState, error) {
	if w.Caps.OVirt == nil {
		return nil, nil, errors.New("no oVirt engine was set up for this run")
	}
	if w.engineSt == nil {
		w.engineSt = &engineState{}
	}
	return w.Caps.OVirt, w.engineSt, nil
}

// do sends one request to the engine; a body larger than 32 MiB is an error.
func do(ctx context.Context, e *harness.OVirtEngine, method, path string, header http.Header, body io.Reader) (*engineResp, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.Base+path, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if len(b) > 32<<20 {
		return nil, fmt.Errorf("%s %s: the answer is larger than 32 MiB", method, path)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return &engineResp{status: resp.StatusCode, ctype: ct, body: b}, nil
}

// requestToken asks the SSO for a password-grant token; scope "" leaves the
// parameter out. Tokens are logged out at cleanup.
func (w *world) requestToken(ctx context.Context, scope string) error {
	e, st, err := w.ovirt()
	if err != nil {
		return err
	}
	form := url.Values{"grant_type": {"password"}, "username": {e.User}, "password": {e.Password()}}
	if scope != "" {
		form.Set("scope", scope)
	}
	h := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	r, err := do(ctx, e, http.MethodPost, "/ovirt-engine/sso/oauth/token", h, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	st.sso, st.ssoCode, st.token = ssoAnswer{}, r.status, ""
	if err := json.Unmarshal(r.body, &st.sso); err != nil {
		return fmt.Errorf("the SSO token endpoint answered %s, not JSON: %w", r, err)
	}
	if tok := st.sso.AccessToken; tok != "" {
		st.token = tok
		w.Tracker.Defer("oVirt SSO token", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := logout(ctx, e, tok) // a token the scenario logged out already is fine
			return err
		})
	}
	return nil
}

func logout(ctx context.Context, e *harness.OVirtEngine, token string) (*engineResp, error) {
	form := url.Values{"scope": {""}, "token": {token}}
	h := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	return do(ctx, e, http.MethodPost, "/ovirt-engine/services/sso-logout", h, strings.NewReader(form.Encode()))
}

// api sends a request to the API with the scenario's token.
func (w *world) api(ctx context.Context, method, path, accept string, header http.Header, body []byte) (*engineResp, error) {
	e, st, err := w.ovirt()
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	for k, v := range header {
		h[k] = v
	}
	if accept != "" {
		h.Set("Accept", accept)
	}
	if st.token != "" {
		h.Set("Authorization", "Bearer "+st.token)
	}
	var rd io.Reader
	if body != nil {
		h.Set("Content-Type", "application/xml")
		rd = bytes.NewReader(body)
	}
	r, err := do(ctx, e, method, path, h, rd)
	if err == nil {
		st.last, st.accept = r, accept
	}
	return r, err
}

// apiDoc is the part of the API root the checks read.
type apiDoc struct {
	XMLName     xml.Name `xml:"api"`
	ProductName string   `xml:"product_info>name"`
	Links       []struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	} `xml:"link"`
}

func parseAPIDoc(r *engineResp) (*apiDoc, error) {
	var doc apiDoc
	if err := xml.Unmarshal(r.body, &doc); err != nil {
		return nil, fmt.Errorf("not an api document: %w: %s", err, r)
	}
	if doc.ProductName == "" {
		return nil, fmt.Errorf("the api document names no product (product_info/name): %s", r)
	}
	return &doc, nil
}

// vmDoc is the part of a VM document the checks read and write.
type vmDoc struct {
	XMLName  xml.Name `xml:"vm"`
	ID       string   `xml:"id,attr,omitempty"`
	Name     string   `xml:"name"`
	Status   string   `xml:"status,omitempty"`
	Cluster  *nameRef `xml:"cluster,omitempty"`
	Template *nameRef `xml:"template,omitempty"`
}

type nameRef struct {
	ID   string `xml:"id,attr,omitempty"`
	Name string `xml:"name,omitempty"`
}

func (w *world) vmID(logical string) (string, error) {
	_, st, err := w.ovirt()
	if err != nil {
		return "", err
	}
	id, ok := st.vms[logical]
	if !ok {
		return "", fmt.Errorf("no VM %q was created", logical)
	}
	return id, nil
}

func (w *world) vmStatus(ctx context.Context, logical string) (string, error) {
	id, err := w.vmID(logical)
	if err != nil {
		return "", err
	}
	r, err := w.api(ctx, http.MethodGet, "/ovirt-engine/api/vms/"+url.PathEscape(id), "application/xml", nil, nil)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusOK {
		return "", fmt.Errorf("GET VM %s: %s", logical, r)
	}
	var v vmDoc
	if err := xml.Unmarshal(r.body, &v); err != nil {
		return "", fmt.Errorf("VM %s: %w: %s", logical, err, r)
	}
	return v.Status, nil
}

// removeVM deletes a VM the scenario created; gone already is fine.
func removeVM(ctx context.Context, e *harness.OVirtEngine, token, id string) error {
	h := http.Header{"Accept": {"application/xml"}, "Authorization": {"Bearer " + token}}
	r, err := do(ctx, e, http.MethodDelete, "/ovirt-engine/api/vms/"+url.PathEscape(id), h, nil)
	if err != nil {
		return err
	}
	if r.status/100 != 2 && r.status != http.StatusNotFound {
		return fmt.Errorf("removing VM %s: %s", id, r)
	}
	return nil
}

func registerOVirtEngine(r *Registry) {
	r.Step(`^I request an SSO token with scope "([^"]*)"$`, func(ctx context.Context, scope string) error {
		return W(ctx).requestToken(ctx, scope)
	})
	r.Step(`^I request an SSO token without a scope$`, func(ctx context.Context) error {
		return W(ctx).requestToken(ctx, "")
	})
	r.Step(`^an SSO token for the API$`, func(ctx context.Context) error {
		w := W(ctx)
		if err := w.requestToken(ctx, "ovirt-app-api"); err != nil {
			return err
		}
		if st := w.engineSt; st.token == "" {
			return fmt.Errorf("the SSO issued no token (HTTP %d, error %q: %s)", st.ssoCode, st.sso.ErrorCode, st.sso.Error)
		}
		return nil
	})
	r.Step(`^the SSO answer is a bearer token whose scope includes "([^"]*)"$`, func(ctx context.Context, scope string) error {
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
	})
	r.Step(`^the API root answers (200|401) with that token$`, func(ctx context.Context, code string) error {
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
	})
	r.Step(`^either the SSO endpoint refused it or the API root answers 401 with that token$`, func(ctx context.Context) error {
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
	})
	r.Step(`^GET "([^"]*)"(?: with header "([^:"]*): ([^"]*)")? answers (\d+)( with an api document)?$`, func(ctx context.Context, path, hname, hvalue, code, doc string) error {
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
	})
	r.Step(`^the API root as application/xml is an api document naming the product$`, func(ctx context.Context) error {
		resp, err := W(ctx).api(ctx, http.MethodGet, "/ovirt-engine/api", "application/xml", nil, nil)
		if err != nil {
			return err
		}
		if resp.status != http.StatusOK || resp.ctype != "application/xml" {
			return fmt.Errorf("asked for application/xml, got %s", resp)
		}
		_, err = parseAPIDoc(resp)
		return err
	})
	r.Step(`^the API root as application/json is an object naming the product$`, func(ctx context.Context) error {
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
	})
	r.Step(`^the API root links "([^"]*)" under "([^"]*)"$`, func(ctx context.Context, rels, prefix string) error {
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
	})
	r.Step(`^I post an empty VM document asking for (application/xml|application/json)$`, func(ctx context.Context, accept string) error {
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
	})
	r.Step(`^the API answers 400 with a fault that has a reason and a detail$`, func(ctx context.Context) error {
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
	})
	r.Step(`^I log out through the SSO logout service$`, func(ctx context.Context) error {
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
	})
	r.Step(`^the XSD the engine serves at "([^"]*)"$`, func(ctx context.Context, path string) error {
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
		w.engineSt.xsd = resp.body
		return nil
	})
	r.Step(`^GET "([^"]*)" as XML validates against that XSD$`, func(ctx context.Context, path string) error {
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
		dir, err := w.scratchDir("xsd")
		if err != nil {
			return err
		}
		xsd, doc := filepath.Join(dir, "api.xsd"), filepath.Join(dir, "doc.xml")
		if err := os.WriteFile(xsd, st.xsd, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(doc, resp.body, 0o644); err != nil {
			return err
		}
		out, err := exec.CommandContext(ctx, "xmllint", "--noout", "--nonet", "--schema", xsd, doc).CombinedOutput()
		if err != nil {
			return fmt.Errorf("GET %s does not validate against the engine's XSD: %v: %s", path, err, lastLines(string(out), 5))
		}
		return nil
	})
	r.Step(`^(?:I )?create VM "([^"]*)" from the run's template in the first cluster$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		e, st, err := w.ovirt()
		if err != nil {
			return err
		}
		resp, err := w.api(ctx, http.MethodGet, "/ovirt-engine/api/clusters", "application/xml", nil, nil)
		if err != nil {
			return err
		}
		var clusters struct {
			List []struct {
				ID   string `xml:"id,attr"`
				Name string `xml:"name"`
			} `xml:"cluster"`
		}
		if resp.status != http.StatusOK || xml.Unmarshal(resp.body, &clusters) != nil {
			return fmt.Errorf("listing clusters: %s", resp)
		}
		if len(clusters.List) == 0 {
			return harness.NotRun("the engine has no cluster to create a VM in")
		}
		body, err := xml.Marshal(vmDoc{Name: w.Name(logical), Cluster: &nameRef{ID: clusters.List[0].ID}, Template: &nameRef{Name: e.Template}})
		if err != nil {
			return err
		}
		resp, err = w.api(ctx, http.MethodPost, "/ovirt-engine/api/vms", "application/xml", nil, body)
		if err != nil {
			return err
		}
		var v vmDoc
		if resp.status/100 != 2 || xml.Unmarshal(resp.body, &v) != nil || v.ID == "" {
			return fmt.Errorf("creating VM %s from template %s: %s", w.Name(logical), e.Template, resp)
		}
		if st.vms == nil {
			st.vms = map[string]string{}
		}
		st.vms[logical] = v.ID
		token, id := st.token, v.ID
		w.Tracker.Defer("oVirt VM "+w.Name(logical), func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			// A running VM is stopped first: the engine refuses to remove it.
			h := http.Header{"Accept": {"application/xml"}, "Authorization": {"Bearer " + token}, "Content-Type": {"application/xml"}}
			do(ctx, e, http.MethodPost, "/ovirt-engine/api/vms/"+url.PathEscape(id)+"/stop", h, strings.NewReader("<action/>"))
			var err error
			for i := 0; i < 60; i++ {
				if err = removeVM(ctx, e, token, id); err == nil {
					return nil
				}
				time.Sleep(2 * time.Second)
			}
			return err
		})
		return nil
	})
	r.Step(`^VM "([^"]*)" is listed with status "([^"]*)"$`, func(ctx context.Context, logical, status string) error {
		w := W(ctx)
		id, err := w.vmID(logical)
		if err != nil {
			return err
		}
		resp, err := w.api(ctx, http.MethodGet, "/ovirt-engine/api/vms?search="+url.QueryEscape("name="+w.Name(logical)), "application/xml", nil, nil)
		if err != nil {
			return err
		}
		var list struct {
			VMs []vmDoc `xml:"vm"`
		}
		if resp.status != http.StatusOK || xml.Unmarshal(resp.body, &list) != nil {
			return fmt.Errorf("listing VMs: %s", resp)
		}
		for _, v := range list.VMs {
			if v.ID == id {
				if v.Status != status {
					return fmt.Errorf("VM %s is listed with status %q, want %q", w.Name(logical), v.Status, status)
				}
				return nil
			}
		}
		return fmt.Errorf("VM %s (%s) is not listed", w.Name(logical), id)
	})
	r.Step(`^I (start|stop|remove) VM "([^"]*)"$`, func(ctx context.Context, action, logical string) error {
		w := W(ctx)
		id, err := w.vmID(logical)
		if err != nil {
			return err
		}
		if action == "remove" {
			e, st, _ := w.ovirt()
			return removeVM(ctx, e, st.token, id)
		}
		resp, err := w.api(ctx, http.MethodPost, "/ovirt-engine/api/vms/"+url.PathEscape(id)+"/"+action, "application/xml", nil, []byte("<action/>"))
		if err != nil {
			return err
		}
		if resp.status/100 != 2 {
			return fmt.Errorf("%s VM %s: %s", action, w.Name(logical), resp)
		}
		return nil
	})
	r.Step(`^VM "([^"]*)" is no longer listed$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		id, err := w.vmID(logical)
		if err != nil {
			return err
		}
		resp, err := w.api(ctx, http.MethodGet, "/ovirt-engine/api/vms/"+url.PathEscape(id), "application/xml", nil, nil)
		if err != nil {
			return err
		}
		if resp.status != http.StatusNotFound {
			return fmt.Errorf("VM %s after removal: %s, want 404", w.Name(logical), resp)
		}
		return nil
	})
	r.Step(`^VM "([^"]*)" reaches status "([^"]*)" within (\d+) seconds$`, func(ctx context.Context, logical, status, secs string) error {
		w := W(ctx)
		deadline := time.Now().Add(seconds(secs))
		for {
			got, err := w.vmStatus(ctx, logical)
			if err != nil {
				return err
			}
			if got == status {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("VM %s is %q after %s s, want %q", w.Name(logical), got, secs, status)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	})
}

func containsWord(list, word string) bool {
	for _, f := range strings.Fields(list) {
		if f == word {
			return true
		}
	}
	return false
}
