package main

// Values as Helm 3 builds them: YAML read through JSON (numbers are float64), `-f` files merged in
// order (later wins, maps merged key by key), then coalesced over the chart's values.yaml, where a
// user's explicit null deletes the chart's default.

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

func parseValues(raw []byte) (map[string]interface{}, error) {
	values := map[string]interface{}{}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		return nil, err
	}
	if values == nil {
		values = map[string]interface{}{}
	}
	return values, nil
}

// mergeMaps is Helm's merge of successive -f files: maps merge, anything else is replaced.
func mergeMaps(base, overlay map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(base))
	for key, value := range base {
		out[key] = value
	}
	for key, value := range overlay {
		if next, ok := value.(map[string]interface{}); ok {
			if current, ok := out[key].(map[string]interface{}); ok {
				out[key] = mergeMaps(current, next)
				continue
			}
		}
		out[key] = value
	}
	return out
}

// coalesce lays the user's values over the chart's defaults (chartutil.CoalesceValues).
func coalesce(user, defaults map[string]interface{}) (map[string]interface{}, []string) {
	var warnings []string
	out := make(map[string]interface{}, len(user))
	for key, value := range user {
		out[key] = value
	}
	for key, fallback := range defaults {
		value, given := out[key]
		switch {
		case !given:
			out[key] = fallback
		case value == nil:
			delete(out, key)
		default:
			userMap, userIsMap := value.(map[string]interface{})
			defaultMap, defaultIsMap := fallback.(map[string]interface{})
			if userIsMap && defaultIsMap {
				merged, nested := coalesce(userMap, defaultMap)
				out[key] = merged
				for _, warning := range nested {
					warnings = append(warnings, key+"."+warning)
				}
			} else if defaultIsMap && fallback != nil && len(defaultMap) > 0 {
				warnings = append(warnings, fmt.Sprintf("%s: a table in values.yaml is overwritten by a %T", key, value))
			}
		}
	}
	return out, warnings
}
