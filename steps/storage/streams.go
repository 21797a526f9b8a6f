package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// streamLoopsRoundTrip uploads through virStreamSendAll's callback loop and
// downloads through virStreamRecvAll's.
func streamLoopsRoundTrip(ctx context.Context, kib int, vol, pool string) error {
	w := W(ctx)
	data := make([]byte, kib*1024)
	rand.Read(data)
	return w.WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		up, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer up.Free()
		defer stepkit.AbortOnDeadline(ctx, up)()
		if err := v.Upload(up, 0, uint64(len(data)), 0); err != nil {
			return err
		}
		rest := data
		err = up.SendAll(func(_ *libvirt.Stream, n int) ([]byte, error) {
			chunk := rest[:min(n, len(rest))]
			rest = rest[len(chunk):]
			return chunk, nil
		})
		if err == nil {
			err = up.Finish()
		}
		if err != nil {
			up.Abort()
			return fmt.Errorf("sending through the send-all loop: %w", err)
		}
		down, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer down.Free()
		defer stepkit.AbortOnDeadline(ctx, down)()
		if err := v.Download(down, 0, uint64(len(data)), 0); err != nil {
			return err
		}
		var got []byte
		err = down.RecvAll(func(_ *libvirt.Stream, b []byte) (int, error) {
			got = append(got, b...)
			return len(b), nil
		})
		if err == nil {
			err = down.Finish()
		}
		if err != nil {
			down.Abort()
			return fmt.Errorf("receiving through the receive-all loop: %w", err)
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("%d bytes came back through the receive-all loop, not the %d sent", len(got), len(data))
		}
		return nil
	})
}

func registerStreams(r *stepkit.Registry) {
	r.Step(`^(\d+) KiB sent to volume "([^"]*)" in pool "([^"]*)" through the stream's send-all loop come back through its receive-all loop$`, streamLoopsRoundTrip)
}
