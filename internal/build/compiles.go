package build

import (
	"path"
	"slices"
	"strings"
)

// Whether an emulated RUN step is worth cross-compiling is judged by its
// command, not by the CPU it used: the pinned BuildKit (v0.34) reports no
// resource usage in the progress stream; it samples a step's CPU only on
// cgroup v2 hosts and hands the samples to a client only inside the
// max-mode provenance of its build history, so on many hosts (cgroup v1
// or hybrid, as where these tests run) there is nothing to read. Wall
// time alone is no guide: `apt-get install` or `sleep` under emulation is
// slow without anything a cross compiler could do faster.

// compilers are the commands that build code: a RUN step running one of
// them under emulation would run natively with a cross compiler. A name
// with arguments ("go build") matches when those words follow.
var compilers = [][]string{
	{"gcc"}, {"cc"}, {"g++"}, {"c++"}, {"clang"}, {"clang++"},
	{"go", "build"}, {"go", "install"}, {"cargo"}, {"rustc"},
	{"make"}, {"gmake"}, {"cmake"}, {"ninja"}, {"meson"},
	{"javac"}, {"mvn"}, {"gradle"}, {"gradlew"},
	{"npm", "run", "build"}, {"yarn", "build"}, {"pip", "wheel"}, {"pip3", "wheel"},
	{"dotnet", "build"}, {"dotnet", "publish"},
}

// wrappers run the command that follows them.
var wrappers = []string{"sudo", "env", "time", "nice", "exec", "command", "nohup"}

// runCompiles reports whether the RUN command cmd (the text after "RUN "
// in the step's name, flags such as --mount included) runs a compiler in
// any of its shell commands.
func runCompiles(cmd string) bool {
	words := strings.Fields(strings.NewReplacer(
		"&&", " ; ", "||", " ; ", "|", " ; ", "(", " ; ", ")", " ; ", "`", " ; ", "$(", " ; ",
		"[", " ", "]", " ", `"`, " ", "'", " ", ",", " ", "\\", " ").Replace(cmd))
	start := true
	for i, w := range words {
		switch {
		case strings.HasSuffix(w, ";"), w == "&", w == "then", w == "do", w == "else", w == "{", w == "-c":
			start = true
			continue
		case !start:
			continue
		case strings.HasPrefix(w, "--"), strings.Contains(w, "=") && !strings.HasPrefix(w, "="),
			slices.Contains(wrappers, w):
			continue // a RUN flag, an assignment or a wrapper: the command follows
		}
		start = false
		if isCompiler(words[i:]) {
			return true
		}
	}
	return false
}

// isCompiler reports whether the command words start with a compiler.
func isCompiler(words []string) bool {
	first := path.Base(words[0])
	return slices.ContainsFunc(compilers, func(c []string) bool {
		if first != c[0] || len(words) < len(c) {
			return false
		}
		return slices.Equal(words[1:len(c)], c[1:])
	})
}
