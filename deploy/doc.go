// Package deploy holds the Knative manifests and, in temporal/, the dynamic config and Helm
// values for a Temporal cluster of your own; its tests render and validate them. It is a
// module of its own, so that the Kubernetes libraries of its tests stay out of the project's.
package deploy
