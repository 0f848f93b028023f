// Package deploy holds the Knative manifests; its tests render and validate them. It is a
// module of its own, so that the Kubernetes libraries of its tests stay out of the project's.
package deploy
