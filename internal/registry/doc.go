// Package registry is multiarch's boundary with container registries and
// OCI layouts; it is the only package that speaks go-containerregistry
// (internal/testenv and _test.go files aside). Other packages see images,
// references and credentials only through its types and functions.
//
// It owns:
//   - resolving references (registry/repo:tag, repo@sha256:…,
//     oci-layout://PATH[:tag], oci-archive:FILE[:tag], ./FILE.tar) to an
//     index or an image (Resolve), read on demand through Index, Image, Layer and Descriptor (what verify reads);
//   - checking references and naming their registry (CheckReference, Host);
//   - the transport policy: credentials from the docker keychain, HTTPS
//     everywhere except loopback registries and those listed in
//     Options.Insecure, retries on 408/429/5xx and dropped connections,
//     429/503 Retry-After waited up to the deadline, a bounded dial, an
//     inactivity deadline (Options.ResponseTimeout) on every request's
//     sending, answer and body (ErrTimeout), and digest verification of
//     everything fetched by digest;
//   - classifying failures into *Error values whose message says what to do
//     (check the address, re-push, …) without ever printing credentials;
//     a fix that is the caller's flag or command (log in, list the registry
//     as insecure, allow a longer timeout) is left to the caller, told by
//     typed fields (Kind, Host, TLS, MissingLayout, Timeout, RetryAfter);
//   - checking credentials against a registry (Login) under the same
//     transport policy, for `multiarch login` to store only what works, and
//     storing them as docker does (StoreCredentials: the credential helper
//     config.json names, else config.json "auths", in the docker config
//     directory the caller passes; the package reads no environment);
//   - checking, before a build, that the caller may push to each target
//     repository (CheckPush), under the same policy;
//   - reading an index for people and programs (Inspect), and assembling a
//     new index from images and indexes (CreateIndex), pushing children by
//     digest before the tag so a failure never leaves a partial index tagged.
//   - reading the in-toto statements (SBOM, provenance) of an index's
//     attestation manifests, per platform, each bounded (Statements).
//
// The package is silent: progress and detail go to the injected *slog.Logger.
// Platform names are normalised through internal/platform, its only
// multiarch import.
package registry
