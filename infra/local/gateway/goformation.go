package gateway

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// unmodelled are the properties SAM accepts that goformation (v7) does not
// model and, for these types, refuses as unknown: a function's own
// LoggingConfig, and an HttpApi's AccessLogSettings (goformation spells it
// AccessLogSetting, which SAM does not know).
var unmodelled = map[string][]string{
	"AWS::Serverless::Function": {"LoggingConfig"},
	"AWS::Serverless::HttpApi":  {"AccessLogSettings"},
}

// GoformationYAML returns a SAM template without the properties goformation
// refuses though SAM accepts them (unmodelled), so goformation can read
// the rest; any other unknown property is still refused. Whoever needs
// those properties reads them from the template itself.
func GoformationYAML(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("template is not YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return data, nil
	}
	resources := mappingValue(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return data, nil
	}
	changed := false
	for i := 1; i < len(resources.Content); i += 2 {
		res := resources.Content[i]
		typ := mappingValue(res, "Type")
		props := mappingValue(res, "Properties")
		if typ == nil || props == nil || props.Kind != yaml.MappingNode {
			continue
		}
		for _, name := range unmodelled[typ.Value] {
			for j := 0; j+1 < len(props.Content); j += 2 {
				if props.Content[j].Value == name {
					props.Content = append(props.Content[:j], props.Content[j+2:]...)
					changed = true
					break
				}
			}
		}
	}
	if !changed {
		return data, nil
	}
	return yaml.Marshal(&doc)
}

// mappingValue returns the value of key in mapping node m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
