// The engine's VM lifecycle steps (features/ovirt/ovirt-engine.feature): VMs
// created from the run's template, started, stopped and removed.

package ovirt

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
)

func createVMFromTheRunsTemplateInTheFirstCluster(ctx context.Context, logical string) error {
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
}

func vmIsListedWithStatus(ctx context.Context, logical, status string) error {
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
}

func lifecycleVM(ctx context.Context, action, logical string) error {
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
}

func vmIsNoLongerListed(ctx context.Context, logical string) error {
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
}

func vmReachesStatusWithinSeconds(ctx context.Context, logical, status, secs string) error {
	w := W(ctx)
	deadline := time.Now().Add(stepkit.Seconds(secs))
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
}
