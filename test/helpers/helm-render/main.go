// helm-render: a stand-in for `helm template` used by the tests, because no helm binary can run
// here. It renders one chart (no subcharts, no hooks) with Helm 3's semantics for values, the
// template functions and the output; it does not contact a cluster.
//
//	helm-render [--name NAME] [--namespace NS] [--kube-version V] [-f values.yaml]... CHART_DIR
//	  --notes         print the rendered templates/NOTES.txt instead of the manifests
//	  --print-values  print the merged values as JSON (for values.schema.json checks)
//
// Errors go to stderr as one `Error: …` line, with exit status 1.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"strings"
)

type fileList []string

func (list *fileList) String() string         { return strings.Join(*list, ",") }
func (list *fileList) Set(value string) error { *list = append(*list, value); return nil }

func main() {
	var valueFiles fileList
	name := flag.String("name", "release-name", "release name (.Release.Name)")
	namespace := flag.String("namespace", "default", "release namespace (.Release.Namespace)")
	kubeVersion := flag.String("kube-version", "v1.30.0", "Kubernetes version (.Capabilities.KubeVersion)")
	notes := flag.Bool("notes", false, "print the rendered NOTES.txt instead of the manifests")
	printValues := flag.Bool("print-values", false, "print the merged values as JSON")
	flag.Var(&valueFiles, "f", "values file laid over values.yaml (repeatable, later wins)")
	flag.Var(&valueFiles, "values", "same as -f")
	flag.Parse()
	if flag.NArg() != 1 {
		fail(fmt.Errorf("expected one chart directory, got %d arguments", flag.NArg()))
	}
	out, err := run(flag.Arg(0), options{
		release:     Release{Name: *name, Namespace: *namespace, Service: "Helm", Revision: 1, IsInstall: true},
		kubeVersion: *kubeVersion,
		valueFiles:  valueFiles,
		notes:       *notes,
		printValues: *printValues,
	})
	if err != nil {
		fail(err)
	}
	fmt.Print(out)
}

type options struct {
	release     Release
	kubeVersion string
	valueFiles  []string
	notes       bool
	printValues bool
}

func run(dir string, opts options) (string, error) {
	chart, err := loadChart(dir)
	if err != nil {
		return "", err
	}
	if err := checkKubeVersion(&chart.Metadata, opts.kubeVersion); err != nil {
		return "", err
	}
	user := map[string]interface{}{}
	for _, file := range opts.valueFiles {
		raw, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("cannot read values file: %v", err)
		}
		values, err := parseValues(raw)
		if err != nil {
			return "", fmt.Errorf("failed to parse %s: %v", file, err)
		}
		user = mergeMaps(user, values)
	}
	values, warnings := coalesce(user, chart.Values)
	for _, warning := range warnings {
		fmt.Fprintf(os.Stderr, "warning: %s\n", warning)
	}
	if opts.printValues {
		data, err := json.MarshalIndent(values, "", "  ")
		return string(data) + "\n", err
	}

	engine, err := newEngine(chart)
	if err != nil {
		return "", err
	}
	top := map[string]interface{}{
		"Values":       values,
		"Release":      opts.release,
		"Chart":        chart.Metadata,
		"Capabilities": defaultCapabilities(opts.kubeVersion),
		"Files":        Files(chart.Files),
	}
	if opts.notes {
		notes := path.Join(chart.Metadata.Name, "templates", "NOTES.txt")
		if engine.root.Lookup(notes) == nil {
			return "", fmt.Errorf("the chart has no templates/NOTES.txt")
		}
		return engine.render(notes, top)
	}
	var manifests []Manifest
	for _, file := range chart.Templates {
		base := path.Base(file.Name)
		// Partials (_helpers.tpl) only define; NOTES.txt is printed after install, not applied.
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		source := path.Join(chart.Metadata.Name, file.Name)
		rendered, err := engine.render(source, top)
		if err != nil {
			return "", err
		}
		split, err := splitManifests(source, rendered)
		if err != nil {
			return "", err
		}
		manifests = append(manifests, split...)
	}
	sortManifests(manifests)
	return printManifests(manifests), nil
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "Error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	os.Exit(1)
}
