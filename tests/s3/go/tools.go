//go:build tools

// Package tools records the main package tests/s3/build compiles, so that
// `go mod tidy` keeps its dependencies in go.sum.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
