// The guest agent's steps (features/guest/guest.feature): ping, guest info,
// clock, interfaces, filesystems, memory markers, DHCP leases.

package guest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func guestAgentOfAnswersAPing(ctx context.Context, logical string) error {
	return W(ctx).Ping(logical)
}

func guestAgentOfAnswersAgainWithinThe(ctx context.Context, logical string) error {
	w := W(ctx)
	g, err := w.TheGuest()
	if err != nil {
		return err
	}
	return w.UntilAgent(ctx, g.BootLimit, func(context.Context) error { return w.Ping(logical) })
}

func setTheClockOfGuestAheadOfTheHost(ctx context.Context, logical, ahead string) error {
	w := W(ctx)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		return d.SetTime(time.Now().Add(stepkit.Seconds(ahead)).Unix(), 0, 0)
	})
}

func clockOfGuestIsSecondsAheadOf(ctx context.Context, logical, ahead, slack string) error {
	w := W(ctx)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		secs, nsecs, err := d.GetTime(0)
		if err != nil {
			return fmt.Errorf("guest time: %w", err)
		}
		diff := time.Unix(secs, int64(nsecs)).Sub(time.Now()) - stepkit.Seconds(ahead)
		if diff.Abs() > stepkit.Seconds(slack) {
			return fmt.Errorf("guest clock is %s off the expected %s ahead of the host", diff.Round(time.Millisecond), stepkit.Seconds(ahead))
		}
		return nil
	})
}

func agentOfGuestListsInterfaceWithAddress(ctx context.Context, logical, iface, addr string) error {
	w := W(ctx)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		ifs, err := d.ListAllInterfaceAddresses(libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
		if err != nil {
			return fmt.Errorf("interface addresses from the agent: %w", err)
		}
		var seen []string
		for _, i := range ifs {
			for _, a := range i.Addrs {
				if i.Name == iface && a.Addr == addr {
					return nil
				}
				seen = append(seen, i.Name+"="+a.Addr)
			}
		}
		return fmt.Errorf("the agent lists no %s with %s; it lists %s", iface, addr, strings.Join(seen, ", "))
	})
}

func guestFormatsAndMountsItsDataDisk(ctx context.Context, logical string) error {
	w := W(ctx)
	// The data disk is the guest's only or second virtio disk; the fixture has no other.
	_, err := w.Exec(ctx, logical, `d=$(for s in /sys/block/vd*; do [ -e "$s" ] && echo /dev/${s##*/}; done | tail -1)
grep -q "^$d " /proc/mounts && exit 0
mkdir -p /mnt/data && mke2fs -q "$d" && mount "$d" /mnt/data && echo ovacts > /mnt/data/file && sync`)
	return err
}

func filesystemsOfGuest(ctx context.Context, action, logical string) error {
	w := W(ctx)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		if action == "freeze" {
			return d.FSFreeze(nil, 0)
		}
		return d.FSThaw(nil, 0)
	})
}

func agentOfGuestReportsItsFilesystems(ctx context.Context, logical, want string) error {
	w := W(ctx)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		var st string
		if err := harness.AgentCommand(d, stepkit.AgentTimeout, "guest-fsfreeze-status", nil, &st); err != nil {
			return err
		}
		if st != want {
			return fmt.Errorf("the agent reports the filesystems %s, want %s", st, want)
		}
		return nil
	})
}

func guestHasAnIPv4LeaseOnNetworkWithinSeconds(ctx context.Context, logical, network, secs string) error {
	w := W(ctx)
	return w.UntilAgent(ctx, stepkit.Seconds(secs), func(context.Context) error {
		_, err := w.leaseAddrs(logical)
		return err
	})
}

func agentOfGuestReportsTheLeasedAddress(ctx context.Context, logical string) error {
	w := W(ctx)
	leases, err := w.leaseAddrs(logical)
	if err != nil {
		return err
	}
	return w.UntilAgent(ctx, 10*time.Second, func(context.Context) error {
		return w.WithDomain(logical, func(d *libvirt.Domain) error {
			ifs, err := d.ListAllInterfaceAddresses(libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
			if err != nil {
				return err
			}
			agent := map[string]string{}
			for _, i := range ifs {
				for _, a := range i.Addrs {
					if a.Type == libvirt.IP_ADDR_TYPE_IPV4 {
						agent[strings.ToLower(i.Hwaddr)] = fmt.Sprintf("%s/%d", a.Addr, a.Prefix)
					}
				}
			}
			for mac, addr := range leases {
				if agent[mac] != addr {
					return fmt.Errorf("the lease gives %s %s, the agent %q (agent sees %v)", mac, addr, agent[mac], agent)
				}
			}
			return nil
		})
	})
}

// leaseAddrs maps each MAC of the guest to its leased IPv4 address/prefix.
func (w *world) leaseAddrs(logical string) (map[string]string, error) {
	out := map[string]string{}
	err := w.WithDomain(logical, func(d *libvirt.Domain) error {
		ifs, err := d.ListAllInterfaceAddresses(libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE)
		if err != nil {
			return fmt.Errorf("interface addresses from the leases: %w", err)
		}
		for _, i := range ifs {
			for _, a := range i.Addrs {
				if a.Type == libvirt.IP_ADDR_TYPE_IPV4 {
					out[strings.ToLower(i.Hwaddr)] = fmt.Sprintf("%s/%d", a.Addr, a.Prefix)
				}
			}
		}
		if len(out) == 0 {
			return errors.New("no IPv4 lease yet")
		}
		return nil
	})
	return out, err
}
