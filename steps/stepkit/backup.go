package stepkit

import (
	"context"
	"fmt"
	"net"

	"libvirt.org/go/libvirt"
)

// BackupState is what a scenario knows of its checkpoints and backups.
type BackupState struct {
	CheckpointXML map[string]string // "domain/checkpoint" -> its XML before its metadata was deleted
	NbdPort       map[string]int    // logical domain -> the TCP port of its pull backup's NBD server
}

// BackupSt is the scenario's checkpoints and backups.
func (w *World) BackupSt() *BackupState { return State[BackupState](w) }

// freePort is a TCP port of the loopback nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func pullBackup(ctx context.Context, dom string) error {
	w := W(ctx)
	scratch, err := w.PoolFile("store", dom+"-scratch.qcow2")
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	x := fmt.Sprintf(`<domainbackup mode='pull'><server transport='tcp' name='127.0.0.1' port='%d'/><disks><disk name='%s' backup='yes' type='file'><scratch file='%s'/></disk></disks></domainbackup>`, port, VdaDisk, scratch)
	if err := w.WithDomain(dom, func(d *libvirt.Domain) error { return d.BackupBegin(x, "", 0) }); err != nil {
		return err
	}
	b := w.BackupSt()
	if b.NbdPort == nil {
		b.NbdPort = map[string]int{}
	}
	b.NbdPort[dom] = port
	return nil
}

func registerBackup(r *Registry) {
	r.Step(`^I start a pull backup of disk vda of domain "([^"]*)" over NBD$`, pullBackup)
}
