import Foundation
import GatehouseBundle
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCLI

@Suite("The reload pipeline with bundles: files, uploads, URLs, signatures", .bug(id: "12"), .timeLimit(.minutes(2)))
struct PolicyReloaderBundleTests {
    func withFixture(_ body: (ReloadFixture) async throws -> Void) async throws {
        try await withTemporaryDirectory("reload-bundle") { root in
            let fixture = ReloadFixture(root: root)
            try fixture.write(ReloadFixture.policy())
            try await body(fixture)
        }
    }

    @Test("An uploaded bundle activates under its manifest's revision; a corrupt one is refused and nothing changes")
    func upload() async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer)
            let first = try #require(await reloader.start().source.activation)
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let bundle = try fixture.archive(revision: "v2")
            let request = ReloadRequest(trigger: .upload, requestedBy: "ops")
            let activation = try #require(await reloader.activate(uploadedBundle: bundle, request: request).activation)
            #expect(activation.revision == "v2")
            #expect(activation.source == "upload")
            #expect(authorizer.tree?.revision == "v2")
            var corrupt = bundle
            corrupt[corrupt.count / 2] ^= 0xFF
            let failure = try #require(await reloader.activate(uploadedBundle: corrupt, request: request).failure)
            #expect(failure.stage == .verify || failure.stage == .fetch)
            #expect(failure.code.hasPrefix("archive_") || failure.code == "hash_mismatch", "\(failure)")
            #expect(authorizer.tree?.revision == "v2")
            #expect(await reloader.status().rollbackRevisions == ["v2", first.revision])
        }
    }

    @Test("With bundles.requireSignature an unsigned upload and the plain directory are refused")
    func signatureRequired() async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let first = try #require(await fixture.reloader(authorizer: authorizer).start().source.activation)
            let strict = try fixture.reloader(
                authorizer: authorizer, verification: BundleVerificationPolicy(requireSignature: true))
            let upload = await strict.activate(
                uploadedBundle: try fixture.archive(revision: "v2"), request: ReloadRequest(trigger: .upload))
            #expect(upload.failure?.stage == .verify)
            #expect(upload.failure?.code.hasPrefix("signature_") == true, "\(upload)")
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let directory = await strict.reload(ReloadRequest(trigger: .signal))
            #expect(directory.failure?.stage == .verify, "\(directory)")
            #expect(authorizer.tree?.revision == first.revision)
        }
    }

    @Test("A .tar.gz bundle file as policies activates; replacing the file reloads it")
    func bundleFile() async throws {
        try await self.withFixture { fixture in
            let file = fixture.root.appendingPathComponent("bundle.tar.gz")
            try Data(try fixture.archive(revision: "f1")).write(to: file)
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer, source: .bundleFile(file.path))
            #expect(await reloader.start().source.activation?.revision == "f1")
            try fixture.write(ReloadFixture.policy(path: "/b"))
            try Data(try fixture.archive(revision: "f2")).write(to: file)
            #expect(await reloader.reload(ReloadRequest(trigger: .signal)).activation?.revision == "f2")
            #expect(authorizer.tree?.revision == "f2")
        }
    }

    /// A stand-in for `bundles.url`: serves `archive` with `ETag: "<revision>"`, answers 304 to a matching `If-None-Match`.
    final class BundleServer: Sendable {
        private let state = Mutex<(archive: [UInt8], tag: String, requests: [String?])>(([], "", []))
        func publish(_ archive: [UInt8], tag: String) {
            self.state.withLock { state in
                state.archive = archive
                state.tag = tag
            }
        }
        var requests: [String?] { self.state.withLock { $0.requests } }
        func get(_ url: String, _ ifNoneMatch: String?) -> BundleDownload {
            self.state.withLock { state in
                state.requests.append(ifNoneMatch)
                return ifNoneMatch == state.tag ? .notModified : .fetched(state.archive, entityTag: state.tag)
            }
        }
    }

    @Test("bundles.url: the active revision's ETag is sent as If-None-Match; 304 is unchanged; a new bundle activates")
    func polling() async throws {
        try await self.withFixture { fixture in
            let server = BundleServer()
            server.publish(try fixture.archive(revision: "u1"), tag: "\"u1\"")
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(
                authorizer: authorizer, source: .url("http://127.0.0.1:1/bundle.tar.gz"),
                fetchBundle: { url, tag throws(ReloadError) in server.get(url, tag) })
            #expect(await reloader.start().source.activation?.revision == "u1")
            #expect(await reloader.reload(ReloadRequest(trigger: .poll)) == .unchanged(revision: "u1"))
            try fixture.write(ReloadFixture.policy(path: "/b"))
            server.publish(try fixture.archive(revision: "u2"), tag: "\"u2\"")
            #expect(await reloader.reload(ReloadRequest(trigger: .poll)).activation?.revision == "u2")
            #expect(authorizer.tree?.revision == "u2")
            #expect(server.requests == [nil, "\"u1\"", "\"u1\""])
        }
    }
}
