package build

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// OutputPathError says a file a build is to write (the OCI tarball, a
// metadata file) cannot be written there; it is found before any build
// step runs, so no build time is lost on it.
type OutputPathError struct {
	// Path is the file, as given.
	Path string
	// Problem says what is wrong with it.
	Problem string
	// Advice is what to do, worded without CLI flags.
	Advice string
	Err    error
}

func (e *OutputPathError) Error() string {
	return fmt.Sprintf("cannot write %s: %s", e.Path, e.Problem)
}

// Hint is the next step, worded without CLI flags.
func (e *OutputPathError) Hint() string { return e.Advice }

func (e *OutputPathError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidOptions}
	}
	return []error{ErrInvalidOptions, e.Err}
}

// CheckOutputPath checks that a file can be created or replaced at path,
// as a build does when it succeeds (a temp file in the same directory,
// renamed into place): path is not a directory or other non-regular file
// (renaming over a device as root would replace the device), and its
// directory exists and takes new files. It returns an *OutputPathError.
func CheckOutputPath(path string) error {
	bad := func(problem, advice string, err error) error {
		return &OutputPathError{Path: path, Problem: problem, Advice: advice, Err: err}
	}
	if fi, err := os.Stat(path); err == nil {
		switch {
		case fi.IsDir():
			return bad("it is a directory", "give the path of a file to create or replace, e.g. "+filepath.Join(path, "image.tar"), fs.ErrExist)
		case !fi.Mode().IsRegular():
			return bad("it is not a regular file ("+fi.Mode().Type().String()+")", "give the path of a regular file to create or replace", fs.ErrInvalid)
		}
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return bad("directory "+dir+" does not exist", "create the directory first, or give a path in an existing one", err)
	case err != nil:
		return bad(err.Error(), "", err)
	case !fi.IsDir():
		return bad(dir+" is not a directory", "give a path in an existing directory", fs.ErrInvalid)
	}
	probe, err := os.CreateTemp(dir, ".multiarch-check-*")
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return bad("cannot create files in "+dir+": "+msg, "give a path in a directory you may write to", err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// ociOutput is where one solve's OCI tarball goes: a temp file next to
// dest, renamed into place by commit; or, with stream, a temp file in the
// system's temp directory that commit copies to stream. Until commit
// nothing is at dest and nothing was written to stream; discard removes
// the temp file. Both may be called once, after the solve returned.
type ociOutput struct {
	dest   string
	stream io.Writer

	mu     sync.Mutex
	tmp    *os.File
	closed bool
	// tmpDir is the temp directory of a directory output (createDir).
	tmpDir string
}

// create is the exporter's Output: the temp file the daemon's tarball is
// written into (BuildKit closes it when the tarball is complete).
func (out *ociOutput) create(map[string]string) (io.WriteCloser, error) {
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.closed || out.tmp != nil {
		return nil, errors.New("OCI output already used")
	}
	dir, pattern := filepath.Split(out.dest)
	pattern = "." + pattern + ".*.partial"
	if out.stream != nil {
		dir, pattern = "", "multiarch-oci-*.tar"
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	out.tmp = f
	return syncCloser{f}, nil
}

// syncCloser flushes the tarball to disk before it is closed, so that the
// rename of commit never publishes a file whose data is still in flight.
type syncCloser struct{ *os.File }

func (s syncCloser) Close() error {
	return errors.Join(s.File.Sync(), s.File.Close())
}

// path is the temp file holding the tarball ("" before the export began).
func (out *ociOutput) path() string {
	if out != nil && out.tmpDir != "" {
		return out.tmpDir
	}
	if out == nil || out.tmp == nil {
		return ""
	}
	return out.tmp.Name()
}

// commit puts the finished tarball in place: renamed to dest, or copied
// to stream; the temp file is gone afterwards either way.
func (out *ociOutput) commit() error {
	if out == nil {
		return nil
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	out.closed = true
	if out.tmpDir != "" {
		return out.commitDir()
	}
	if out.tmp == nil {
		return errors.New("the builder exported no tarball")
	}
	name := out.tmp.Name()
	out.tmp.Close() // BuildKit closed it; this only makes sure
	if out.stream == nil {
		if err := os.Rename(name, out.dest); err != nil {
			os.Remove(name)
			return fmt.Errorf("output: %w", err)
		}
		return nil
	}
	defer os.Remove(name)
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(out.stream, f); err != nil {
		return fmt.Errorf("output: writing the tarball out: %w", err)
	}
	return nil
}

// discard removes the temp file, if any; a later create fails.
func (out *ociOutput) discard() error {
	if out == nil {
		return nil
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	out.closed = true
	if out.tmpDir != "" {
		return os.RemoveAll(out.tmpDir)
	}
	if out.tmp == nil {
		return nil
	}
	out.tmp.Close()
	if err := os.Remove(out.tmp.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the unfinished OCI tarball: %w", err)
	}
	return nil
}
