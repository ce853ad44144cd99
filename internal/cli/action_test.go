package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// actionFile is the part of action.yml the checks below read.
type actionFile struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Author      string            `yaml:"author"`
	Branding    map[string]string `yaml:"branding"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Name  string            `yaml:"name"`
			If    string            `yaml:"if"`
			Uses  string            `yaml:"uses"`
			Run   string            `yaml:"run"`
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
			With  map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// ciFlagsNotInputs are ci flags the action does not map to an input of
// their own: the password comes from the `password` input through
// DOCKER_PASSWORD, and help is no option.
var ciFlagsNotInputs = []string{"help", "password-stdin"}

// TestActionYAML: action.yml at the repository root is a well-formed
// composite action; every input is used and every input used is declared;
// every output comes from the ci step; and every flag of `multiarch ci`
// is passed by the ci step, so a new ci flag without an input fails here.
func TestActionYAML(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("action.yml: want name, description and a composite runs with steps, got %+v", a)
	}
	var ciRun string
	for i, s := range a.Runs.Steps {
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("step %d (%s): exactly one of run and uses", i, s.Name)
		}
		if s.Run != "" && s.Shell != "bash" {
			t.Errorf("step %d (%s): a composite run step needs shell: bash, got %q", i, s.Name, s.Shell)
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %d (%s): expression in run: pass inputs through env, never into the script", i, s.Name)
		}
		if s.ID == "ci" {
			ciRun = s.Run
		}
	}
	checkActionInputs(t, raw, a)
	for _, o := range []string{"digest", "tags", "platforms", "metadata"} {
		if got, want := a.Outputs[o].Value, "${{ steps.ci.outputs."+o+" }}"; got != want {
			t.Errorf("output %s: value %q, want %q", o, got, want)
		}
	}
	if ciRun == "" {
		t.Fatal("action.yml: no step with id ci")
	}
	newCICmd().Flags().VisitAll(func(f *pflag.Flag) {
		if slices.Contains(ciFlagsNotInputs, f.Name) {
			return
		}
		long := "(--" + f.Name + " "
		short := "(-" + f.Shorthand + " "
		if !strings.Contains(ciRun, long) && !strings.Contains(ciRun, long[:len(long)-1]+")") &&
			(f.Shorthand == "" || !strings.Contains(ciRun, short)) {
			t.Errorf("ci flag --%s is not passed by action.yml's ci step: add an input for it", f.Name)
		}
	})
}

var inputRef = regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`)

// checkActionInputs: every input has a description and a default, is
// referenced outside the inputs block, and every reference names an input.
func checkActionInputs(t *testing.T, raw []byte, a actionFile) {
	t.Helper()
	body := string(raw)
	if i := strings.Index(body, "\noutputs:"); i >= 0 {
		body = body[i:] // references count outside the inputs block only
	}
	used := map[string]bool{}
	for _, m := range inputRef.FindAllStringSubmatch(body, -1) {
		used[m[1]] = true
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml references inputs.%s, which is not declared", m[1])
		}
	}
	for name, in := range a.Inputs {
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
		if in.Description == "" || in.Default == nil {
			t.Errorf("input %s: needs a description and a default", name)
		}
	}
	for _, want := range []string{"version", "from-source", "binfmt", "platforms", "image", "tags",
		"push", "push-by-digest", "digest-dir", "test", "strict-cpu", "tags-from-git", "username", "password"} {
		if _, ok := a.Inputs[want]; !ok {
			t.Errorf("action.yml lacks input %s", want)
		}
	}
}

// TestActionCIStepArgs runs action.yml's ci step with bash, the inputs
// given as GitHub would (each env value `${{ inputs.X }}` replaced by the
// input or its default) and a sudo that prints its argv: the multiarch
// arguments are exactly the expected ones, lists split as documented, no
// value globbed or re-split, and the password only in the environment.
func TestActionCIStepArgs(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	given := map[string]string{
		"platforms": "linux/amd64, linux/arm64\nlinux/s390x\n", "image": "reg.example/app",
		"tags": "latest 1.0\nedge", "build-args": "A=1 2\nB=*\n", "test": "echo 'hi there' *",
		"strict-cpu": "true", "push": "false", "insecure-registry": "h1 h2:5000",
		"password": "s3cret", "username": "ci", "args": "--verbose *",
	}
	bin := t.TempDir()
	sudo := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\nprintf 'DOCKER_PASSWORD=%s\\n' \"$DOCKER_PASSWORD\"\n"
	if err := os.WriteFile(filepath.Join(bin, "sudo"), []byte(sudo), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range a.Runs.Steps {
		if s.ID != "ci" {
			continue
		}
		cmd := exec.Command("bash", "-c", s.Run)
		cmd.Dir = t.TempDir() // a file named like a glob's match would show globbing
		if err := os.WriteFile(filepath.Join(cmd.Dir, "globbed"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
		for k, v := range s.Env {
			in := strings.TrimSuffix(strings.TrimPrefix(v, "${{ inputs."), " }}")
			val, ok := given[in]
			if !ok {
				val = *a.Inputs[in].Default
			}
			cmd.Env = append(cmd.Env, k+"="+val)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ci step: %v\n%s", err, out)
		}
		merge := exec.Command("bash", "-c", s.Run)
		merge.Dir, merge.Env = cmd.Dir, append(slices.Clone(cmd.Env), "MA_MERGE=true")
		if mo, err := merge.CombinedOutput(); err != nil || !strings.Contains(string(mo), "\nci\nmerge\n--platform\n") ||
			strings.Contains(string(mo), "--progress") {
			t.Errorf("merge: want ci merge without --progress: %v\n%s", err, mo)
		}
		want := []string{"-E", "env", "PATH=" + bin + ":/usr/bin:/bin", "multiarch", "ci", ".",
			"--platform", "linux/amd64,linux/arm64,linux/s390x", "--image", "reg.example/app",
			"-t", "latest", "-t", "1.0", "-t", "edge", "--build-arg", "A=1 2", "--build-arg", "B=*",
			"--test", "echo 'hi there' *", "--strict-cpu", "--no-push",
			"--insecure-registry", "h1", "--insecure-registry", "h2:5000", "--progress", "plain",
			"-u", "ci", "--verbose", "*", "DOCKER_PASSWORD=s3cret"}
		if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !slices.Equal(got, want) {
			t.Errorf("ci step ran sudo with\n%q\nwant\n%q", got, want)
		}
		return
	}
	t.Fatal("action.yml: no step with id ci")
}
