import Foundation
package import HTTPTypes
package import Hummingbird
package import NIOCore

/// One answer of the admin API, whichever listener carries it: a status, header fields and the
/// whole body.
///
/// The admin listener (Hummingbird) turns it into a `Response` (``response(from:context:)``); the
/// AuthZEN listener (``AuthZENServer``) writes it with NIO's HTTP/1 codec. The routes build
/// replies, never `Response`s, so one handler answers on both.
package struct AdminReply: Sendable, ResponseGenerator {
    package var status: HTTPResponse.Status
    package var headers: HTTPFields
    package var body: ByteBuffer

    package init(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The Hummingbird response of this reply.
    package func response(from request: Request, context: some RequestContext) -> Response {
        Response(status: self.status, headers: self.headers, body: ResponseBody(byteBuffer: self.body))
    }
}

/// Building the API's replies.
enum AdminResponse {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> AdminReply {
        // The DTOs hold strings, numbers and arrays only, which JSONEncoder always encodes.
        let data = (try? AdminJSON.encoder.encode(value)) ?? Data("{}".utf8)
        var body = ByteBuffer()
        body.reserveCapacity(data.count + 1)
        body.writeBytes(data)
        body.writeInteger(UInt8(ascii: "\n"))
        return AdminReply(status: status, headers: [.contentType: "application/json"], body: body)
    }

    static func unauthorized(_ error: AdminDTO.Error, challenge: String) -> AdminReply {
        var reply = Self.json(error, status: .unauthorized)
        reply.headers[.wwwAuthenticate] = challenge
        return reply
    }

    static func text(
        _ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8"
    ) -> AdminReply {
        AdminReply(status: status, headers: [.contentType: contentType], body: ByteBuffer(string: text))
    }
}
