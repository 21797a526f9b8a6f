package storage

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// volResource is a volume of a logical pool: its path is the pool's directory
// and its name.
func (w *world) volResource(vol, pool string) harness.Resource {
	return harness.Resource{Kind: harness.KindVolume, Name: w.Name(vol), Path: w.PoolDir(pool) + "/" + w.Name(vol), Parent: w.Name(pool)}
}

func (w *world) download(ctx context.Context, vol, pool string, n uint64) ([]byte, error) {
	var data []byte
	err := w.WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		st, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer st.Free()
		defer stepkit.AbortOnDeadline(ctx, st)()
		if err := v.Download(st, 0, n, 0); err != nil {
			return err
		}
		// Read to the end of the stream, not just n bytes: finishing a stream
		// whose end the daemon has not sent yet races with the daemon closing
		// it ("stream is not open" in libvirtd's log) and can leave the finish
		// unanswered.
		buf := make([]byte, 64*1024)
		for {
			k, err := st.Recv(buf)
			data = append(data, buf[:k]...)
			if errors.Is(err, io.EOF) || (err == nil && k == 0) {
				break
			}
			if err != nil {
				st.Abort()
				return fmt.Errorf("receiving: %w", err)
			}
			if uint64(len(data)) > n {
				st.Abort()
				return fmt.Errorf("the stream sent more than the %d bytes asked for", n)
			}
		}
		return st.Finish()
	})
	return data, err
}
