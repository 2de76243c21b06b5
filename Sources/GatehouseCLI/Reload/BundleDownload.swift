import GatehouseBundle
import GatehouseCore
import GatehouseIdentity

/// What fetching `bundles.url` gave.
package enum BundleDownload: Sendable, Hashable {
    /// `304 Not Modified`: the server still holds the bundle whose `ETag` was sent.
    case notModified
    /// A bundle's bytes and its `ETag`, if the server sent one.
    case fetched([UInt8], entityTag: String?)
}

/// Fetches a bundle URL with a conditional GET; what `bundles.url` polling and notifications run.
struct BundleDownloader: Sendable {
    let fetcher: HTTPFetcher
    var timeout: Duration = .seconds(30)
    /// The largest archive accepted (the bundle store's total limit).
    var maximumBytes = BundleLimits().maximumTotalBytes

    /// GETs `url`, sending `ifNoneMatch` as `If-None-Match`.
    ///
    /// - Throws: ``ReloadError`` `fetch_failed` (stage fetch) on a transport error or a status other than 200 or 304.
    func download(_ url: String, ifNoneMatch: String?) async throws(ReloadError) -> BundleDownload {
        let document: FetchedDocument
        do {
            document = try await self.fetcher.get(
                url, accept: "application/gzip, application/octet-stream", ifNoneMatch: ifNoneMatch,
                timeout: self.timeout, maximumBytes: self.maximumBytes)
        } catch {
            throw ReloadError(
                .fetch, "fetch_failed",
                "GET \(url) failed (\(error)); check that bundles.url is reachable and answers within \(self.timeout).")
        }
        switch document.status {
        case 304: return .notModified
        case 200: return .fetched(document.body, entityTag: document.entityTag)
        default:
            throw ReloadError(
                .fetch, "fetch_failed",
                "GET \(url) answered HTTP \(document.status); bundles.url must serve the bundle.")
        }
    }
}
