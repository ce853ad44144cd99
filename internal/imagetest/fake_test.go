package imagetest

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// fakeContainer plays a platform image: files maps paths to their first
// bytes; run answers processes.
type fakeContainer struct {
	files map[string][]byte
	run   func(p Process) (Exit, error)
}

func (f *fakeContainer) RunEach(_ context.Context, ps []Process) []Outcome {
	out := make([]Outcome, len(ps))
	for i, p := range ps {
		out[i].Exit, out[i].Err = f.run(p)
	}
	return out
}

func (f *fakeContainer) LookPath(_ context.Context, file string) (string, error) {
	for _, c := range []string{file, "/bin/" + file} {
		if _, ok := f.files[c]; ok {
			return c, nil
		}
	}
	return "", fmt.Errorf("%s: %w", file, fs.ErrNotExist)
}

func (f *fakeContainer) ReadFile(_ context.Context, p string, limit int) ([]byte, error) {
	b := f.files[p]
	if limit > 0 && len(b) > limit {
		b = b[:limit]
	}
	return b, nil
}

// elfHeader is the start of an ELF executable for p.
func elfHeader(p platform.Platform) []byte {
	h := make([]byte, 64)
	copy(h, elf.ELFMAG)
	h[elf.EI_CLASS], h[elf.EI_DATA] = byte(p.Class), byte(p.Data)
	var order binary.ByteOrder = binary.LittleEndian
	if p.Data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	order.PutUint16(h[18:], uint16(p.Machine))
	return h
}

// busybox is a fake busybox image for p whose uname prints machine (or
// dies as sigill says under QEMU_CPU) and whose sh runs cmd.
func busybox(p platform.Platform, machine string, sigillUnder string) *fakeContainer {
	return &fakeContainer{
		files: map[string][]byte{"/bin/uname": elfHeader(p), "/bin/sh": elfHeader(p)},
		run: func(pr Process) (Exit, error) {
			for _, e := range pr.Env {
				if sigillUnder != "" && e == "QEMU_CPU="+sigillUnder {
					return Exit{Code: 132, Signal: "SIGILL", Output: []byte("qemu: uncaught target signal 4 (Illegal instruction) - core dumped\n")}, nil
				}
			}
			if pr.Args[0] == "uname" {
				return Exit{Stdout: []byte(machine + "\n"), Output: []byte(machine + "\n")}, nil
			}
			if strings.Contains(strings.Join(pr.Args, " "), "fail") {
				var out strings.Builder
				for i := range 30 {
					fmt.Fprintf(&out, "line %d\n", i)
				}
				return Exit{Code: 3, Output: []byte(out.String())}, nil
			}
			return Exit{Stdout: []byte("hi\n"), Output: []byte("hi\n")}, nil
		},
	}
}

// fakeOpener opens containers from a map keyed by platform; missing ones
// fail to open.
type fakeOpener struct {
	mu      sync.Mutex
	byPlat  map[string]*fakeContainer
	delay   time.Duration
	running int
	peak    int
}

func (o *fakeOpener) open(ctx context.Context, t Target, fn func(context.Context, Container) error) error {
	c, ok := o.byPlat[t.Platform.String()]
	if !ok {
		return errors.New("manifest unknown")
	}
	o.mu.Lock()
	o.running++
	o.peak = max(o.peak, o.running)
	o.mu.Unlock()
	defer func() { o.mu.Lock(); o.running--; o.mu.Unlock() }()
	time.Sleep(o.delay)
	return fn(ctx, c)
}
