// Command validate checks rendered Kubernetes manifests (helm template's output) offline, the way the API
// server would take them: every document is decoded strictly into the k8s.io/api types (an unknown or
// misspelt field, a wrong type, an unknown apiVersion or kind is an error), then checked against the rules
// the API server enforces that the types alone do not (names, labels and selectors; a Deployment's selector
// matching its pod labels, containers with images, probe ports that exist; an HPA's replica bounds and
// metrics; a PDB's one budget; NetworkPolicy CIDRs). Kinds that are not built in (CRDs such as the
// Prometheus Operator's PodMonitor) are accepted only when named with -crd, and then checked for
// apiVersion, kind and metadata alone.
//
// Usage: helm template ... | validate [-crd monitoring.coreos.com/v1/PodMonitor] > summary.json
// Prints a JSON summary ({"documents":[{"kind","name","errors"}]}) and exits 1 when any document has errors.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

type result struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Errors     []string `json:"errors"`
}

type crdList map[string]bool

func (c crdList) String() string { return fmt.Sprint(map[string]bool(c)) }
func (c crdList) Set(v string) error {
	c[v] = true
	return nil
}

func main() {
	crds := crdList{}
	flag.Var(crds, "crd", "apiVersion/kind of a custom resource to accept (repeatable), e.g. monitoring.coreos.com/v1/PodMonitor")
	flag.Parse()

	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	var results []result
	failed := false
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "reading the manifests:", err)
			os.Exit(2)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		r := check(decoder, crds, doc)
		if len(r.Errors) > 0 {
			failed = true
		}
		results = append(results, r)
	}
	out, _ := json.MarshalIndent(map[string]any{"documents": results}, "", "  ")
	fmt.Println(string(out))
	if failed || len(results) == 0 {
		os.Exit(1)
	}
}

func stripComments(doc []byte) []byte {
	var kept [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			kept = append(kept, line)
		}
	}
	return bytes.Join(kept, []byte("\n"))
}

func check(decoder runtime.Decoder, crds crdList, doc []byte) result {
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	r := result{Errors: []string{}}
	if err := sigsyaml.Unmarshal(doc, &head); err != nil {
		r.Errors = append(r.Errors, "not a Kubernetes object: "+err.Error())
		return r
	}
	r.APIVersion, r.Kind, r.Name = head.APIVersion, head.Kind, head.Metadata.Name
	obj, _, err := decoder.Decode(doc, nil, nil)
	if err != nil {
		if runtime.IsNotRegisteredError(err) || runtime.IsMissingKind(err) || runtime.IsMissingVersion(err) {
			if crds[head.APIVersion+"/"+head.Kind] {
				r.Errors = append(r.Errors, errs(apivalidation.ValidateObjectMeta(&head.Metadata, false, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata")))...)
				return r
			}
			r.Errors = append(r.Errors, "not a built-in kind of this Kubernetes version: "+err.Error())
			return r
		}
		// Strict decoding reports unknown and duplicate fields (runtime.IsStrictDecodingError) or a type error.
		r.Errors = append(r.Errors, err.Error())
		return r
	}
	meta := field.NewPath("metadata")
	switch o := obj.(type) {
	case *corev1.Service:
		r.Errors = append(r.Errors, errs(apivalidation.ValidateObjectMeta(&o.ObjectMeta, false, apivalidation.NameIsDNS1035Label, meta))...)
		if len(o.Spec.Ports) == 0 {
			r.Errors = append(r.Errors, "spec.ports: a Service needs at least one port")
		}
	default:
		if m, ok := obj.(metav1.ObjectMetaAccessor); ok {
			r.Errors = append(r.Errors, errs(apivalidation.ValidateObjectMeta(m.GetObjectMeta().(*metav1.ObjectMeta), false, apivalidation.NameIsDNSSubdomain, meta))...)
		}
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		r.Errors = append(r.Errors, deployment(o)...)
	case *autoscalingv2.HorizontalPodAutoscaler:
		r.Errors = append(r.Errors, hpa(o)...)
	case *policyv1.PodDisruptionBudget:
		if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
			r.Errors = append(r.Errors, "spec: exactly one of minAvailable and maxUnavailable")
		}
		r.Errors = append(r.Errors, selector(o.Spec.Selector, "spec.selector")...)
	case *networkingv1.NetworkPolicy:
		r.Errors = append(r.Errors, networkPolicy(o)...)
	}
	return r
}

var protocols = map[corev1.Protocol]bool{corev1.ProtocolTCP: true, corev1.ProtocolUDP: true, corev1.ProtocolSCTP: true}

func errs(list field.ErrorList) []string {
	out := []string{}
	for _, e := range list {
		out = append(out, e.Error())
	}
	return out
}

func selector(s *metav1.LabelSelector, path string) []string {
	if s == nil {
		return []string{path + ": required"}
	}
	return errs(metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, field.NewPath(path)))
}

func deployment(d *appsv1.Deployment) []string {
	out := selector(d.Spec.Selector, "spec.selector")
	if d.Spec.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err == nil && (sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels))) {
			out = append(out, "spec.template.metadata.labels: must match spec.selector")
		}
	}
	out = append(out, errs(metav1validation.ValidateLabels(d.Spec.Template.Labels, field.NewPath("spec.template.metadata.labels")))...)
	pod := d.Spec.Template.Spec
	if len(pod.Containers) == 0 {
		out = append(out, "spec.template.spec.containers: at least one container")
	}
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
	}
	for i, c := range pod.Containers {
		at := fmt.Sprintf("spec.template.spec.containers[%d]", i)
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			out = append(out, at+".name: "+msg)
		}
		if strings.TrimSpace(c.Image) == "" {
			out = append(out, at+".image: required")
		}
		ports := map[string]bool{}
		numbers := map[int32]bool{}
		for _, p := range c.Ports {
			if p.Name != "" {
				for _, msg := range validation.IsValidPortName(p.Name) {
					out = append(out, at+".ports.name: "+msg)
				}
				ports[p.Name] = true
			}
			numbers[p.ContainerPort] = true
			if p.Protocol != "" && !protocols[p.Protocol] {
				out = append(out, fmt.Sprintf("%s.ports: protocol %q is not TCP, UDP or SCTP", at, p.Protocol))
			}
		}
		for _, e := range c.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				out = append(out, at+".env["+e.Name+"]: "+msg)
			}
			if e.Value != "" && e.ValueFrom != nil {
				out = append(out, at+".env["+e.Name+"]: value and valueFrom are exclusive")
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				out = append(out, at+".volumeMounts["+m.Name+"]: no such volume")
			}
		}
		for name, probe := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
			if probe == nil || probe.HTTPGet == nil {
				continue
			}
			port := probe.HTTPGet.Port
			if port.StrVal != "" && !ports[port.StrVal] {
				out = append(out, fmt.Sprintf("%s.%s: port %q is not a port of the container", at, name, port.StrVal))
			}
			if port.StrVal == "" && !numbers[port.IntVal] {
				out = append(out, fmt.Sprintf("%s.%s: port %d is not a port of the container", at, name, port.IntVal))
			}
		}
		for res, limit := range c.Resources.Limits {
			if req, ok := c.Resources.Requests[res]; ok && req.Cmp(limit) > 0 {
				out = append(out, fmt.Sprintf("%s.resources: the %s request is above its limit", at, res))
			}
		}
	}
	return out
}

func hpa(h *autoscalingv2.HorizontalPodAutoscaler) []string {
	out := []string{}
	if h.Spec.ScaleTargetRef.Kind == "" || h.Spec.ScaleTargetRef.Name == "" {
		out = append(out, "spec.scaleTargetRef: kind and name are required")
	}
	if h.Spec.MinReplicas != nil && (*h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas) {
		out = append(out, "spec.minReplicas: must be between 1 and maxReplicas")
	}
	if h.Spec.MaxReplicas < 1 {
		out = append(out, "spec.maxReplicas: must be at least 1")
	}
	for i, m := range h.Spec.Metrics {
		at := fmt.Sprintf("spec.metrics[%d]", i)
		var present int
		for _, set := range []bool{m.Resource != nil, m.Pods != nil, m.Object != nil, m.External != nil, m.ContainerResource != nil} {
			if set {
				present++
			}
		}
		if present != 1 {
			out = append(out, at+": exactly one source matching its type")
			continue
		}
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			if m.Resource == nil {
				out = append(out, at+": type Resource needs resource")
			}
		case autoscalingv2.PodsMetricSourceType:
			if m.Pods == nil || m.Pods.Metric.Name == "" || m.Pods.Target.Type != autoscalingv2.AverageValueMetricType || m.Pods.Target.AverageValue == nil {
				out = append(out, at+": type Pods needs pods.metric.name and an AverageValue target")
			}
		case autoscalingv2.ExternalMetricSourceType:
			if m.External == nil || m.External.Metric.Name == "" {
				out = append(out, at+": type External needs external.metric.name")
			}
		case autoscalingv2.ObjectMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
		default:
			out = append(out, at+": unknown type "+string(m.Type))
		}
	}
	return out
}

func networkPolicy(n *networkingv1.NetworkPolicy) []string {
	out := selector(&n.Spec.PodSelector, "spec.podSelector")
	checkPeers := func(at string, peers []networkingv1.NetworkPolicyPeer) {
		for j, p := range peers {
			where := fmt.Sprintf("%s[%d]", at, j)
			if p.IPBlock != nil && (p.PodSelector != nil || p.NamespaceSelector != nil) {
				out = append(out, where+": ipBlock cannot be combined with selectors")
			}
			if p.IPBlock == nil && p.PodSelector == nil && p.NamespaceSelector == nil {
				out = append(out, where+": a peer needs ipBlock, podSelector or namespaceSelector")
			}
			if p.PodSelector != nil {
				out = append(out, selector(p.PodSelector, where+".podSelector")...)
			}
			if p.NamespaceSelector != nil {
				out = append(out, selector(p.NamespaceSelector, where+".namespaceSelector")...)
			}
			if p.IPBlock != nil {
				_, cidr, err := net.ParseCIDR(p.IPBlock.CIDR)
				if err != nil {
					out = append(out, where+".ipBlock.cidr: "+err.Error())
					continue
				}
				for _, e := range p.IPBlock.Except {
					ip, _, err := net.ParseCIDR(e)
					if err != nil || !cidr.Contains(ip) {
						out = append(out, where+".ipBlock.except: "+e+" is not inside "+p.IPBlock.CIDR)
					}
				}
			}
		}
	}
	checkPorts := func(at string, ports []networkingv1.NetworkPolicyPort) {
		for j, p := range ports {
			if p.Protocol != nil && !protocols[*p.Protocol] {
				out = append(out, fmt.Sprintf("%s[%d].protocol: %q is not TCP, UDP or SCTP", at, j, *p.Protocol))
			}
			if p.Port != nil && p.Port.StrVal == "" && (p.Port.IntVal < 1 || p.Port.IntVal > 65535) {
				out = append(out, fmt.Sprintf("%s[%d].port: %d is not a port", at, j, p.Port.IntVal))
			}
		}
	}
	for i, rule := range n.Spec.Ingress {
		checkPeers(fmt.Sprintf("spec.ingress[%d].from", i), rule.From)
		checkPorts(fmt.Sprintf("spec.ingress[%d].ports", i), rule.Ports)
	}
	for i, rule := range n.Spec.Egress {
		checkPeers(fmt.Sprintf("spec.egress[%d].to", i), rule.To)
		checkPorts(fmt.Sprintf("spec.egress[%d].ports", i), rule.Ports)
	}
	for _, t := range n.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			out = append(out, "spec.policyTypes: "+string(t)+" is not Ingress or Egress")
		}
	}
	return out
}
