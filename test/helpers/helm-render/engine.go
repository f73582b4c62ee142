package main

// The template engine: Go text/template with sprig's functions and Helm's own (include, tpl,
// required, toYaml, …), every file of templates/ parsed into one set so a `define` anywhere is
// visible everywhere, and Helm's way of reporting errors and of printing missing values.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

// Helm wraps `required`'s message in these so it can be told apart from Go's own error text.
const (
	errStart = "HELM_ERR_START"
	errEnd   = "HELM_ERR_END"
	// Helm stops `include` recursion at this depth per template name.
	recursionLimit = 1000
)

// Release is .Release for a first install.
type Release struct {
	Name      string
	Namespace string
	Service   string
	Revision  int
	IsInstall bool
	IsUpgrade bool
}

// VersionSet is .Capabilities.APIVersions.
type VersionSet []string

// Has reports whether an API version (`apps/v1`) or resource (`apps/v1/Deployment`) is known.
func (set VersionSet) Has(version string) bool {
	for _, known := range set {
		if known == version {
			return true
		}
	}
	return false
}

// KubeVersion is .Capabilities.KubeVersion.
type KubeVersion struct {
	Version    string
	Major      string
	Minor      string
	GitVersion string
}

// Capabilities is the minimal .Capabilities `helm template` offers without a cluster.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
}

// TemplateInfo is .Template.
type TemplateInfo struct {
	Name     string
	BasePath string
}

// Files is .Files: the chart's files outside templates/.
type Files map[string][]byte

// Get returns a file's text, or "" when the chart has no such file (as Helm does).
func (files Files) Get(name string) string { return string(files[name]) }

func defaultCapabilities(kubeVersion string) Capabilities {
	trimmed := strings.TrimPrefix(kubeVersion, "v")
	parts := strings.SplitN(trimmed, ".", 3)
	minor := ""
	if len(parts) > 1 {
		minor = parts[1]
	}
	return Capabilities{
		KubeVersion: KubeVersion{Version: "v" + trimmed, Major: parts[0], Minor: minor, GitVersion: "v" + trimmed},
		APIVersions: VersionSet{
			"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1",
			"rbac.authorization.k8s.io/v1", "apps/v1/Deployment", "v1/Service", "v1/Secret",
			"v1/ConfigMap", "v1/ServiceAccount", "rbac.authorization.k8s.io/v1/Role",
			"rbac.authorization.k8s.io/v1/RoleBinding",
		},
	}
}

// Engine holds the parsed template set of one chart.
type Engine struct {
	root  *template.Template
	chart *Chart
}

func toYAML(value interface{}) string {
	data, err := yaml.Marshal(value)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toJSON(value interface{}) string {
	data, err := json.Marshal(value)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromYAML(text string) map[string]interface{} {
	out := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(text), &out); err != nil {
		out["Error"] = err.Error()
	}
	return out
}

func fromJSON(text string) map[string]interface{} {
	out := map[string]interface{}{}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		out["Error"] = err.Error()
	}
	return out
}

func required(message string, value interface{}) (interface{}, error) {
	if value == nil {
		return value, errors.New(errStart + message + errEnd)
	}
	if text, ok := value.(string); ok && text == "" {
		return value, errors.New(errStart + message + errEnd)
	}
	return value, nil
}

func newEngine(chart *Chart) (*Engine, error) {
	engine := &Engine{chart: chart}
	included := map[string]int{}
	funcs := sprig.TxtFuncMap()
	// Helm removes these two: a chart must render the same on every machine.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["toJson"] = toJSON
	funcs["fromYaml"] = fromYAML
	funcs["fromJson"] = fromJSON
	funcs["required"] = required
	// No cluster to look in: Helm's `template` returns an empty map too.
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if included[name] > recursionLimit {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		included[name]++
		defer func() { included[name]-- }()
		var out strings.Builder
		err := engine.root.ExecuteTemplate(&out, name, data)
		return out.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := engine.root.Clone()
		if err != nil {
			return "", err
		}
		parsed, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var out strings.Builder
		if err := parsed.Execute(&out, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
		}
		return strings.ReplaceAll(out.String(), "<no value>", ""), nil
	}

	engine.root = template.New("gotpl").Option("missingkey=zero").Funcs(funcs)
	for _, file := range chart.Templates {
		name := path.Join(chart.Metadata.Name, file.Name)
		if _, err := engine.root.New(name).Parse(string(file.Data)); err != nil {
			return nil, cleanError(err)
		}
	}
	return engine, nil
}

// render executes one template with the top-level data Helm gives it.
func (engine *Engine) render(name string, top map[string]interface{}) (string, error) {
	data := make(map[string]interface{}, len(top)+1)
	for key, value := range top {
		data[key] = value
	}
	data["Template"] = TemplateInfo{Name: name, BasePath: path.Join(engine.chart.Metadata.Name, "templates")}
	var out bytes.Buffer
	if err := engine.root.ExecuteTemplate(&out, name, data); err != nil {
		return "", cleanError(err)
	}
	return strings.ReplaceAll(out.String(), "<no value>", ""), nil
}

var execErrorPattern = regexp.MustCompile(`(?s)^template: (\S+?:\d+:\d+): executing "[^"]*" at <.*?>: error calling \w+: (.*)$`)

// cleanError turns Go's template error into Helm's `execution error at (file:line:col): message`
// when it comes from a function such as required or fail.
func cleanError(err error) error {
	text := err.Error()
	// A `required` inside an include is reported once per enclosing template: keep the innermost.
	if start := strings.Index(text, errStart); start >= 0 {
		end := strings.Index(text, errEnd)
		message := text[start+len(errStart) : end]
		location := ""
		if match := regexp.MustCompile(`template: (\S+?:\d+:\d+): `).FindAllStringSubmatch(text[:start], -1); len(match) > 0 {
			location = match[len(match)-1][1]
		}
		return fmt.Errorf("execution error at (%s): %s", location, message)
	}
	if match := execErrorPattern.FindStringSubmatch(text); match != nil {
		return fmt.Errorf("execution error at (%s): %s", match[1], match[2])
	}
	return err
}
