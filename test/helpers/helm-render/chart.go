package main

// Loading a chart directory the way Helm 3 does for one chart without dependencies: Chart.yaml
// metadata (validated), values.yaml, the templates, and the other files for .Files.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver"
	"sigs.k8s.io/yaml"
)

// Metadata is .Chart: Chart.yaml with Helm's field names (a missing field is a template error).
type Metadata struct {
	APIVersion  string            `json:"apiVersion"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	AppVersion  string            `json:"appVersion"`
	KubeVersion string            `json:"kubeVersion"`
	Description string            `json:"description"`
	Type        string            `json:"type"`
	Home        string            `json:"home"`
	Icon        string            `json:"icon"`
	Keywords    []string          `json:"keywords"`
	Sources     []string          `json:"sources"`
	Annotations map[string]string `json:"annotations"`
	Deprecated  bool              `json:"deprecated"`
}

// Chart is what the renderer needs from a chart directory.
type Chart struct {
	Dir       string
	Metadata  Metadata
	Values    map[string]interface{}
	Templates []File // under templates/, path relative to the chart directory
	Files     map[string][]byte
}

// File is one file of the chart, named by its slash path inside the chart directory.
type File struct {
	Name string
	Data []byte
}

func loadChart(dir string) (*Chart, error) {
	chart := &Chart{Dir: dir, Files: map[string][]byte{}}
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a chart: %v", dir, err)
	}
	if err := yaml.UnmarshalStrict(raw, &chart.Metadata); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	if err := validateMetadata(&chart.Metadata); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	chart.Values = map[string]interface{}{}
	if raw, err := os.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		if chart.Values, err = parseValues(raw); err != nil {
			return nil, fmt.Errorf("values.yaml: %v", err)
		}
	}
	err = filepath.Walk(dir, func(path string, info os.FileInfo, walkErr error) error {
		if walkErr != nil || info.IsDir() {
			return walkErr
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			chart.Templates = append(chart.Templates, File{Name: rel, Data: data})
		} else if rel != "Chart.yaml" && rel != "values.yaml" && rel != "values.schema.json" {
			chart.Files[rel] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(chart.Templates, func(i, j int) bool { return chart.Templates[i].Name < chart.Templates[j].Name })
	return chart, nil
}

// validateMetadata refuses what `helm lint`/`helm install` refuse in Chart.yaml.
func validateMetadata(m *Metadata) error {
	if m.APIVersion != "v2" && m.APIVersion != "v1" {
		return fmt.Errorf("apiVersion must be v2 (Helm 3) or v1, got %q", m.APIVersion)
	}
	if m.Name == "" {
		return fmt.Errorf("name is required")
	}
	if _, err := semver.StrictNewVersion(m.Version); err != nil {
		return fmt.Errorf("version %q is not a SemVer 2 version", m.Version)
	}
	if m.Type != "" && m.Type != "application" && m.Type != "library" {
		return fmt.Errorf("type must be application or library, got %q", m.Type)
	}
	return nil
}

// checkKubeVersion applies Chart.yaml's kubeVersion constraint, as `helm install` does.
func checkKubeVersion(m *Metadata, kubeVersion string) error {
	if m.KubeVersion == "" {
		return nil
	}
	constraint, err := semver.NewConstraint(m.KubeVersion)
	if err != nil {
		return fmt.Errorf("Chart.yaml: kubeVersion %q is not a version constraint: %v", m.KubeVersion, err)
	}
	version, err := semver.NewVersion(kubeVersion)
	if err != nil {
		return fmt.Errorf("--kube-version %q is not a version", kubeVersion)
	}
	if !constraint.Check(version) {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", m.KubeVersion, kubeVersion)
	}
	return nil
}
