package main

// What `helm template` prints: each rendered file split into YAML documents, every document parsed
// (a YAML error names its file), sorted in Helm's install order by kind, each under a
// `# Source:` comment.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Helm's releaseutil.InstallOrder: what must exist first comes first.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
	"RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
}

var documentSeparator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// Manifest is one YAML document of the output.
type Manifest struct {
	Source string
	Kind   string
	Body   string
}

type head struct {
	Kind string `json:"kind"`
}

func splitManifests(source, rendered string) ([]Manifest, error) {
	var manifests []Manifest
	for _, document := range documentSeparator.Split(rendered, -1) {
		body := strings.TrimSpace(document)
		if body == "" {
			continue
		}
		var parsed head
		if err := yaml.Unmarshal([]byte(body), &parsed); err != nil {
			return nil, fmt.Errorf("YAML parse error on %s: %v", source, err)
		}
		manifests = append(manifests, Manifest{Source: source, Kind: parsed.Kind, Body: body})
	}
	return manifests, nil
}

func kindRank(kind string) int {
	for index, known := range installOrder {
		if known == kind {
			return index
		}
	}
	return len(installOrder)
}

func sortManifests(manifests []Manifest) {
	sort.SliceStable(manifests, func(i, j int) bool {
		return kindRank(manifests[i].Kind) < kindRank(manifests[j].Kind)
	})
}

func printManifests(manifests []Manifest) string {
	var out strings.Builder
	for _, manifest := range manifests {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", manifest.Source, manifest.Body)
	}
	return out.String()
}
