package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository root seen from this package's directory.
const repoRoot = "../.."

func releaseOptions(t *testing.T, out string, platforms ...string) options {
	t.Helper()
	return options{
		Root: repoRoot, Package: "./cmd/keyfactor", Name: "keyfactor", Version: "v1.2.3",
		Out: out, Platforms: platforms, ModTime: time.Unix(1700000000, 0).UTC(),
	}
}

// readSums parses SHA256SUMS into path -> hex sum.
func readSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		sum, path, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("SHA256SUMS line %q is not sha256sum's format", line)
		}
		sums[path] = sum
	}
	return sums
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// Two release builds of the same checkout, into different directories, give the same bytes; the
// sums list the plugin binary (what `vault plugin register -sha256` needs) and the archive; the
// archive holds exactly that binary with the fixed time and no owner; the binary carries the
// version, no build path and no VCS stamp. One platform keeps the test cheap: every platform goes
// through the same code, with only GOOS/GOARCH differing.
func TestReleaseIsReproducible(t *testing.T) {
	ctx := context.Background()
	first, second := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "elsewhere", "b")
	if _, err := build(ctx, releaseOptions(t, first, "linux/amd64")); err != nil {
		t.Fatal(err)
	}
	if _, err := build(ctx, releaseOptions(t, second, "linux/amd64")); err != nil {
		t.Fatal(err)
	}
	sums := readSums(t, first)
	if again := readSums(t, second); len(again) != len(sums) {
		t.Fatalf("SHA256SUMS differ: %v vs %v", sums, again)
	}
	binRel, archiveRel := "linux_amd64/keyfactor", "vault-plugin-secrets-keyfactor_1.2.3_linux_amd64.tar.gz"
	if len(sums) != 2 || sums[binRel] == "" || sums[archiveRel] == "" {
		t.Fatalf("SHA256SUMS lists %v, want %s and %s", sums, binRel, archiveRel)
	}
	for path, sum := range sums {
		if got := fileSum(t, filepath.Join(first, path)); got != sum {
			t.Errorf("%s: SHA256SUMS says %s, file is %s", path, sum, got)
		}
		if got := fileSum(t, filepath.Join(second, path)); got != sum {
			t.Errorf("%s: the second build differs (%s, first %s)", path, got, sum)
		}
	}
	if !bytes.Equal(mustRead(t, filepath.Join(first, "SHA256SUMS")), mustRead(t, filepath.Join(second, "SHA256SUMS"))) {
		t.Error("SHA256SUMS files differ")
	}

	bin := mustRead(t, filepath.Join(first, binRel))
	gz, err := gzip.NewReader(bytes.NewReader(mustRead(t, filepath.Join(first, archiveRel))))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Name != "keyfactor" || hdr.Mode != 0o755 || hdr.Uname != "" || hdr.Gname != "" || hdr.Uid != 0 || hdr.Gid != 0 ||
		!hdr.ModTime.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("archive entry header %+v: want keyfactor, 0755, no owner, the fixed time", hdr)
	}
	inArchive, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(inArchive, bin) {
		t.Fatal("the archive's binary is not the listed binary")
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Fatalf("the archive holds more than the binary: %v", err)
	}

	info, err := exec.Command("go", "version", "-m", filepath.Join(first, binRel)).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, info)
	}
	for _, want := range []string{"-trimpath=true", "CGO_ENABLED=0"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("build info lacks %q:\n%s", want, info)
		}
	}
	if strings.Contains(string(info), "vcs.") {
		t.Errorf("build info carries a VCS stamp (it changes with the checkout's state):\n%s", info)
	}
	// -trimpath keeps -ldflags out of the build info; the stamped string is in the binary.
	if !bytes.Contains(bin, []byte("v1.2.3")) {
		t.Error("the binary does not hold its stamped version v1.2.3")
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bin, []byte(root)) {
		t.Errorf("the binary holds the build path %s", root)
	}
}

// Windows gets a zip with the .exe and the same fixed time. Only the archive is built here (the
// cross-compiled binary adds nothing the test above does not cover).
func TestZipArchiveIsFixed(t *testing.T) {
	mtime := time.Unix(1700000000, 0).UTC()
	content := []byte("MZ not really a program")
	a, err := zipArchive("keyfactor.exe", content, mtime)
	if err != nil {
		t.Fatal(err)
	}
	b, err := zipArchive("keyfactor.exe", content, mtime)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two zips of the same file differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "keyfactor.exe" || !zr.File[0].Modified.Equal(mtime) || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("zip entries %+v", zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); !bytes.Equal(got, content) {
		t.Fatal("zip content differs")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
