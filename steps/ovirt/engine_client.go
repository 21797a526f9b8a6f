// The oVirt engine's REST API and SSO as the engine steps use them: requests,
// tokens, documents, the VMs a scenario creates.

package ovirt

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
	"strings"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
)

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

func (w *world) engineSt() *engineState { return stepkit.State[engineState](w.World) }

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
	return w.Caps.OVirt, w.engineSt(), nil
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

func containsWord(list, word string) bool {
	for _, f := range strings.Fields(list) {
		if f == word {
			return true
		}
	}
	return false
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
