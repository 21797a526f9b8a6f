package harness

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"libvirt.org/go/libvirt"
)

// Event is one libvirt event about a named object.
type Event struct {
	Kind   string // domain, device, agent, reboot, storage pool, network, secret
	Object string // the object's name (a secret's usage id)
	Name   string // "started", "stopped (destroyed)", "added", "value changed"...
}

// EventHub holds one libvirt registration per event kind on the run's
// connection and hands events to subscribers. libvirt refuses a second
// identical registration on one connection ("event callback already tracked"),
// and the Go binding registers every callback through one C function, so
// concurrent scenarios must share registrations.
type EventHub struct {
	conn    *libvirt.Connect
	regMu   sync.Mutex       // serialises registrations; never held by delivery
	mu      sync.Mutex       // guards the maps; delivery takes it briefly
	regs    map[string][]int // kind -> libvirt callback ids
	subs    map[int]subscriber
	next    int
	closing bool
}

type subscriber struct {
	kind, prefix string
	fn           func(Event)
}

// NewEventHub returns a hub on conn; nothing registers until a subscription.
func NewEventHub(conn *libvirt.Connect) *EventHub {
	return &EventHub{conn: conn, regs: map[string][]int{}, subs: map[int]subscriber{}}
}

var (
	domainEventNames  = []string{"defined", "undefined", "started", "suspended", "resumed", "stopped", "shutdown", "pmsuspended", "crashed"}
	stoppedDetailName = []string{"shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot"}
	poolEventNames    = []string{"defined", "undefined", "started", "stopped", "created", "deleted"}
	netEventNames     = []string{"defined", "undefined", "started", "stopped"}
	secretEventNames  = []string{"defined", "undefined"}
)

func nameOf(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("event %d", i)
}

// DomainLifecycleName renders a domain lifecycle event as the features name it.
func DomainLifecycleName(ev *libvirt.DomainEventLifecycle) string {
	name := nameOf(domainEventNames, int(ev.Event))
	if ev.Event == libvirt.DOMAIN_EVENT_STOPPED {
		name += " (" + nameOf(stoppedDetailName, ev.Detail) + ")"
	}
	return name
}

func (h *EventHub) deliver(kind, object, name string) {
	h.mu.Lock()
	var fns []func(Event)
	for _, s := range h.subs {
		if s.kind == kind && strings.HasPrefix(object, s.prefix) {
			fns = append(fns, s.fn)
		}
	}
	h.mu.Unlock()
	for _, fn := range fns {
		fn(Event{Kind: kind, Object: object, Name: name})
	}
}

func (h *EventHub) register(kind string) ([]int, error) {
	c := h.conn
	var ids []int
	var errs []error
	add := func(id int, err error) {
		if err != nil {
			errs = append(errs, err)
		} else {
			ids = append(ids, id)
		}
	}
	domain := func(d *libvirt.Domain, name string) {
		if n, err := d.GetName(); err == nil {
			h.deliver(kind, n, name)
		}
	}
	switch kind {
	case "domain":
		add(c.DomainEventLifecycleRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, ev *libvirt.DomainEventLifecycle) {
			domain(d, DomainLifecycleName(ev))
		}))
	case "device":
		add(c.DomainEventDeviceAddedRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, _ *libvirt.DomainEventDeviceAdded) {
			domain(d, "added")
		}))
		add(c.DomainEventDeviceRemovedRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, _ *libvirt.DomainEventDeviceRemoved) {
			domain(d, "removed")
		}))
	case "agent":
		add(c.DomainEventAgentLifecycleRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, ev *libvirt.DomainEventAgentLifecycle) {
			switch ev.State {
			case libvirt.CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED:
				domain(d, "connected")
			case libvirt.CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_DISCONNECTED:
				domain(d, "disconnected")
			}
		}))
	case "reboot":
		add(c.DomainEventRebootRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain) { domain(d, "reboot") }))
	case "storage pool":
		add(c.StoragePoolEventLifecycleRegister(nil, func(_ *libvirt.Connect, p *libvirt.StoragePool, ev *libvirt.StoragePoolEventLifecycle) {
			if n, err := p.GetName(); err == nil {
				h.deliver(kind, n, nameOf(poolEventNames, int(ev.Event)))
			}
		}))
	case "network":
		add(c.NetworkEventLifecycleRegister(nil, func(_ *libvirt.Connect, n *libvirt.Network, ev *libvirt.NetworkEventLifecycle) {
			if nm, err := n.GetName(); err == nil {
				h.deliver(kind, nm, nameOf(netEventNames, int(ev.Event)))
			}
		}))
	case "secret":
		secret := func(s *libvirt.Secret, name string) {
			if u, err := s.GetUsageID(); err == nil {
				h.deliver(kind, u, name)
			}
		}
		add(c.SecretEventLifecycleRegister(nil, func(_ *libvirt.Connect, s *libvirt.Secret, ev *libvirt.SecretEventLifecycle) {
			secret(s, nameOf(secretEventNames, int(ev.Event)))
		}))
		add(c.SecretEventValueChangedRegister(nil, func(_ *libvirt.Connect, s *libvirt.Secret) { secret(s, "value changed") }))
	default:
		return nil, fmt.Errorf("unknown event kind %q", kind)
	}
	if len(errs) > 0 {
		h.deregister(kind, ids)
		return nil, errors.Join(errs...)
	}
	return ids, nil
}

func (h *EventHub) deregister(kind string, ids []int) error {
	var errs []error
	for _, id := range ids {
		var err error
		switch kind {
		case "domain", "device", "agent", "reboot":
			err = h.conn.DomainEventDeregister(id)
		case "storage pool":
			err = h.conn.StoragePoolEventDeregister(id)
		case "network":
			err = h.conn.NetworkEventDeregister(id)
		case "secret":
			err = h.conn.SecretEventDeregister(id)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Subscribe delivers events of kind about objects whose names start with
// prefix to fn, on libvirt's event loop goroutine, until unsubscribe is called.
// An error means the stack cannot deliver such events (e.g. VIR_ERR_NO_SUPPORT).
func (h *EventHub) Subscribe(kind, prefix string, fn func(Event)) (unsubscribe func(), err error) {
	h.regMu.Lock()
	defer h.regMu.Unlock()
	h.mu.Lock()
	closing := h.closing
	_, registered := h.regs[kind]
	h.mu.Unlock()
	if closing {
		return nil, errors.New("the event hub is closed")
	}
	if !registered {
		// Outside h.mu: libvirt's event loop may be delivering meanwhile.
		ids, err := h.register(kind)
		if err != nil {
			return nil, fmt.Errorf("registering %s events: %w", kind, err)
		}
		h.mu.Lock()
		h.regs[kind] = ids
		h.mu.Unlock()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	id := h.next
	h.subs[id] = subscriber{kind: kind, prefix: prefix, fn: fn}
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, id)
			h.mu.Unlock()
		})
	}, nil
}

// Close deregisters every libvirt callback the hub holds.
func (h *EventHub) Close() error {
	h.regMu.Lock()
	defer h.regMu.Unlock()
	h.mu.Lock()
	h.closing = true
	regs := h.regs
	h.regs = map[string][]int{}
	h.subs = map[int]subscriber{}
	h.mu.Unlock()
	var errs []error
	for kind, ids := range regs {
		errs = append(errs, h.deregister(kind, ids))
	}
	return errors.Join(errs...)
}
