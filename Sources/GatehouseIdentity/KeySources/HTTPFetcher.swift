import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// A GET for key material: status, the headers that matter, and a bounded body.
package struct FetchedDocument: Sendable {
    /// The HTTP status code.
    package var status: Int
    /// The `Cache-Control` header, if any.
    package var cacheControl: String?
    /// The body, at most the requested number of bytes.
    package var body: [UInt8]
    /// The `ETag` header, if any (bundle polling sends it back as `If-None-Match`).
    package var entityTag: String?

    package init(status: Int, cacheControl: String? = nil, body: [UInt8], entityTag: String? = nil) {
        self.status = status
        self.cacheControl = cacheControl
        self.body = body
        self.entityTag = entityTag
    }
}

/// Fetches key sets and discovery documents.
package protocol HTTPFetching: Sendable {
    /// GETs `url`; throws on transport errors and time-outs, not on non-2xx statuses.
    ///
    /// ``HTTPFetcher`` throws ``IdentityError/Code/keySetFetchFailed`` with the client's error as
    /// the cause; ``RemoteKeySet`` wraps any other error the same way.
    func get(_ url: String, timeout: Duration, maximumBytes: Int) async throws -> FetchedDocument
}

/// Fetches over HTTP(S) with AsyncHTTPClient; redirects are not followed, so a key set is only
/// ever read from the address the policy (or the issuer's discovery document) names.
///
/// The client is made on the first fetch, so a server whose policies name only key files never
/// opens one.
package final class HTTPFetcher: HTTPFetching {
    private let client = Mutex<HTTPClient?>(nil)

    package init() {}

    private var sharedClient: HTTPClient {
        self.client.withLock { client in
            if let client { return client }
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
            configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(5), read: .seconds(10))
            let created = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            client = created
            return created
        }
    }

    package func get(_ url: String, timeout: Duration, maximumBytes: Int) async throws -> FetchedDocument {
        try await self.get(
            url, accept: "application/json, application/jwk-set+json", ifNoneMatch: nil, timeout: timeout,
            maximumBytes: maximumBytes)
    }

    /// GETs `url` with `Accept: accept` and, when given, `If-None-Match: ifNoneMatch` (a `304`
    /// then has an empty body); throws on transport errors, time-outs and bodies over `maximumBytes`.
    package func get(
        _ url: String, accept: String, ifNoneMatch: String?, timeout: Duration, maximumBytes: Int
    ) async throws -> FetchedDocument {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "accept", value: accept)
        if let ifNoneMatch { request.headers.add(name: "if-none-match", value: ifNoneMatch) }
        do {
            let response = try await self.sharedClient.execute(
                request, timeout: .nanoseconds(timeout.nanosecondsClamped))
            let body = try await response.body.collect(upTo: maximumBytes)
            return FetchedDocument(
                status: Int(response.status.code), cacheControl: response.headers.first(name: "cache-control"),
                body: Array(body.readableBytesView), entityTag: response.headers.first(name: "etag"))
        } catch {
            throw IdentityError(
                code: .keySetFetchFailed,
                message: "GET \(url) failed; check that the URL is reachable and answers within the time-out.",
                cause: error)
        }
    }

    /// Closes the client's connections; call once when the server stops.
    ///
    /// - Throws: ``IdentityError/Code/httpClientShutdownFailed`` with the client's error as the cause.
    package func shutdown() async throws(IdentityError) {
        let client = self.client.withLock { client in
            defer { client = nil }
            return client
        }
        do {
            try await client?.shutdown()
        } catch {
            throw IdentityError(
                code: .httpClientShutdownFailed, message: "The key-set HTTP client did not shut down cleanly.",
                cause: error)
        }
    }
}

extension Duration {
    fileprivate var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = self.components
        guard seconds < Int64.max / 1_000_000_000 else { return Int64.max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
