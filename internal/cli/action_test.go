package cli

import (
	"os"
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
