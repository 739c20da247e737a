// Command release builds the plugin's release artifacts (`make release`): for each platform the
// plugin binary (CGO_ENABLED=0, -trimpath, version stamped), one archive holding it (tar.gz, zip
// for windows) and a SHA256SUMS file listing both the binaries (the sums `vault plugin register
// -sha256` needs) and the archives, in `sha256sum -c` format.
//
// The artifacts are reproducible: the same commit and Go version give the same bytes. Builds
// carry no paths (-trimpath), no VCS stamp (-buildvcs=false) and an empty build id; archives have
// one fixed modification time (the commit's, from -mtime), no owner names or ids, and their
// entries in a fixed order.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// allPlatforms are the release targets, GOOS/GOARCH.
var allPlatforms = []string{
	"darwin/amd64", "darwin/arm64",
	"linux/amd64", "linux/arm64",
	"windows/amd64", "windows/arm64",
}

// options say what to build and where.
type options struct {
	Root      string    // the repository root, where go build runs
	Package   string    // the plugin's main package, relative to Root
	Name      string    // the plugin binary's name (without .exe)
	Version   string    // stamped with -X main.version
	Out       string    // output directory, emptied first
	Platforms []string  // GOOS/GOARCH pairs
	ModTime   time.Time // every archive entry's modification time
}

func main() {
	var o options
	var platforms string
	var mtime int64
	flag.StringVar(&o.Root, "root", ".", "repository root")
	flag.StringVar(&o.Package, "pkg", "./cmd/keyfactor", "the plugin's main package")
	flag.StringVar(&o.Name, "name", "keyfactor", "plugin binary name")
	flag.StringVar(&o.Version, "version", "v0.0.0-dev", "version to stamp (a semantic version with a leading v)")
	flag.StringVar(&o.Out, "out", "dist", "output directory (emptied first)")
	flag.StringVar(&platforms, "platforms", strings.Join(allPlatforms, ","), "comma-separated GOOS/GOARCH list")
	flag.Int64Var(&mtime, "mtime", 315532800, "archive entries' modification time, Unix seconds (the commit time; default 1980-01-01)")
	flag.Parse()
	o.Platforms = strings.Split(platforms, ",")
	o.ModTime = time.Unix(mtime, 0).UTC()

	files, err := build(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(filepath.Join(o.Out, f))
	}
}

// build writes every artifact into o.Out and returns their paths relative to it.
func build(ctx context.Context, o options) ([]string, error) {
	if o.Version == "" || !strings.HasPrefix(o.Version, "v") {
		return nil, fmt.Errorf("version %q: want a semantic version with a leading v, as Vault needs", o.Version)
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return nil, err
	}
	var sums []string // relative paths to list in SHA256SUMS
	for _, p := range o.Platforms {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || goos == "" || goarch == "" {
			return nil, fmt.Errorf("platform %q: want GOOS/GOARCH", p)
		}
		binName := o.Name
		if goos == "windows" {
			binName += ".exe"
		}
		dir := goos + "_" + goarch
		binRel := filepath.Join(dir, binName)
		if err := goBuild(ctx, o, goos, goarch, filepath.Join(o.Out, binRel)); err != nil {
			return nil, err
		}
		bin, err := os.ReadFile(filepath.Join(o.Out, binRel))
		if err != nil {
			return nil, err
		}
		archiveRel := fmt.Sprintf("vault-plugin-secrets-%s_%s_%s_%s", o.Name, strings.TrimPrefix(o.Version, "v"), goos, goarch)
		var archive []byte
		if goos == "windows" {
			archiveRel += ".zip"
			archive, err = zipArchive(binName, bin, o.ModTime)
		} else {
			archiveRel += ".tar.gz"
			archive, err = tarGzArchive(binName, bin, o.ModTime)
		}
		if err != nil {
			return nil, fmt.Errorf("archiving %s: %w", binRel, err)
		}
		if err := os.WriteFile(filepath.Join(o.Out, archiveRel), archive, 0o644); err != nil {
			return nil, err
		}
		sums = append(sums, binRel, archiveRel)
	}
	slices.Sort(sums)
	if err := writeSums(o.Out, sums); err != nil {
		return nil, err
	}
	return append(sums, "SHA256SUMS"), nil
}

// goBuild builds the plugin for one platform, reproducibly.
func goBuild(ctx context.Context, o options, goos, goarch, out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid= -X main.version="+o.Version, "-o", abs, o.Package)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w\n%s", goos, goarch, err, output)
	}
	return nil
}

// tarGzArchive is a gzip-compressed tar holding one executable: fixed time, no owner, no gzip
// name or time.
func tarGzArchive(name string, content []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     0o755,
		Size:     int64(len(content)),
		ModTime:  mtime,
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zipArchive is a zip holding one executable with a fixed time.
func zipArchive(name string, content []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mtime}
	hdr.SetMode(fs.FileMode(0o755))
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(content); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeSums writes SHA256SUMS in dir: one "<hex>  <path>" line per file, as sha256sum prints.
func writeSums(dir string, files []string) error {
	var out strings.Builder
	for _, f := range files {
		content, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(content)
		fmt.Fprintf(&out, "%s  %s\n", hex.EncodeToString(sum[:]), filepath.ToSlash(f))
	}
	return os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(out.String()), 0o644)
}
