import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The HTTP side of `gatehouse admin`: one request to the admin API, with a bearer token or a
/// client certificate, answered as status and body.
struct AdminClient {
    /// A failure to get an answer at all, or an answer that is not the API's: exit 1.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The API's answer.
    struct Answer {
        var status: Int
        var body: Data
    }

    var baseURL: String
    var token: String?
    /// `--cert`, `--key` and `--ca`: a client certificate chain and key (PEM), and the roots the server's certificate must lead to.
    var certificate: String?
    var key: String?
    var ca: String?
    var timeout: TimeAmount = .seconds(60)

    /// Sends `method path` with `body`.
    ///
    /// - Throws: ``Failure`` when the server cannot be reached, TLS fails, or a file cannot be read.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil) async throws
        -> Answer
    {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = try self.tlsConfiguration()
        configuration.timeout = .init(connect: .seconds(10), read: self.timeout)
        let url = self.baseURL.hasSuffix("/") ? String(self.baseURL.dropLast()) + path : self.baseURL + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token = self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            return try await HTTPClient.withHTTPClient(configuration: configuration) { client in
                let response = try await client.execute(request, timeout: self.timeout)
                let bytes = try await response.body.collect(upTo: 64 << 20)
                return Answer(status: Int(response.status.code), body: Data(bytes.readableBytesView))
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "The admin API at \(self.baseURL) could not be reached: \(error).")
        }
    }

    private func tlsConfiguration() throws -> TLSConfiguration? {
        guard self.certificate != nil || self.key != nil || self.ca != nil else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = self.ca {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            }
            switch (self.certificate, self.key) {
            case (let certificate?, let key?):
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            case (nil, nil):
                break
            default:
                throw Failure(description: "--cert and --key go together: pass both, or neither.")
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "The TLS files could not be read: \(error).")
        }
        return tls
    }
}
