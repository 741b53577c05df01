// promcheck reads a Prometheus text exposition on stdin and checks it with Prometheus' own
// code: the expfmt text parser (what a scrape uses) and promlint (what `promtool check
// metrics` runs). It prints one JSON object: the families parsed, or the parse error, and
// every lint problem. Exit status 1 means the text did not parse.
package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type problem struct {
	Metric string `json:"metric"`
	Text   string `json:"text"`
}

// sample is one metric as Prometheus read it: counters and gauges have a value,
// histograms a count and a sum.
type sample struct {
	Name   string            `json:"name"`
	Type   string            `json:"type"`
	Labels map[string]string `json:"labels"`
	Value  float64           `json:"value"`
	Count  uint64            `json:"count,omitempty"`
	Sum    float64           `json:"sum,omitempty"`
}

type report struct {
	Families   int            `json:"families"`
	Samples    []sample       `json:"samples"`
	ParseError string         `json:"parse_error,omitempty"`
	Lint       []problem      `json:"lint"`
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	out := report{Samples: []sample{}, Lint: []problem{}}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(input))
	if err != nil {
		out.ParseError = err.Error()
	} else {
		out.Families = len(families)
		for name, family := range families {
			kind := strings.ToLower(family.GetType().String())
			for _, m := range family.GetMetric() {
				s := sample{Name: name, Type: kind, Labels: map[string]string{}}
				for _, pair := range m.GetLabel() {
					s.Labels[pair.GetName()] = pair.GetValue()
				}
				switch {
				case m.Counter != nil:
					s.Value = m.GetCounter().GetValue()
				case m.Gauge != nil:
					s.Value = m.GetGauge().GetValue()
				case m.Histogram != nil:
					s.Count = m.GetHistogram().GetSampleCount()
					s.Sum = m.GetHistogram().GetSampleSum()
				case m.Untyped != nil:
					s.Value = m.GetUntyped().GetValue()
				}
				out.Samples = append(out.Samples, s)
			}
		}
		problems, lintErr := promlint.New(bytes.NewReader(input)).Lint()
		if lintErr != nil {
			out.ParseError = "lint: " + lintErr.Error()
		}
		for _, p := range problems {
			out.Lint = append(out.Lint, problem{Metric: p.Metric, Text: p.Text})
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
	if out.ParseError != "" {
		os.Exit(1)
	}
}
