import GatehouseCore
import Testing

@Suite("Request headers")
struct HTTPHeadersTests {
    /// Every name with its values, read by iterating, for comparing two headers as a whole.
    private func contents(_ headers: HTTPHeaders) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (name, values) in headers { result[name] = values }
        return result
    }

    @Test("Names are lower-cased; repeated names keep every value in the order sent")
    func pairs() {
        let headers = HTTPHeaders([("Accept", "a"), ("X-Tenant", "t1"), ("x-tenant", "t2"), ("X-TENANT", "t3")])
        #expect(headers.count == 2)
        #expect(headers["accept"] == ["a"])
        #expect(headers["x-tenant"] == ["t1", "t2", "t3"])
        #expect(headers.first("x-tenant") == "t1")
        #expect(headers["X-Tenant"] == nil)
        #expect(headers["absent"] == nil)
        #expect(headers.first("absent") == nil)
        #expect(contents(headers) == ["accept": ["a"], "x-tenant": ["t1", "t2", "t3"]])
    }

    @Test("Headers added one by one equal the same headers built from pairs")
    func addEqualsPairs() {
        var added = HTTPHeaders()
        added.add(name: "Cookie", value: "a=1")
        added.add(name: "accept", value: "x")
        added.add(name: "cookie", value: "b=2")
        let built = HTTPHeaders([("cookie", "a=1"), ("ACCEPT", "x"), ("COOKIE", "b=2")])
        #expect(added == built)
        #expect(added != HTTPHeaders([("cookie", "a=1"), ("accept", "x")]))
        #expect(added != HTTPHeaders([("cookie", "b=2"), ("accept", "x"), ("cookie", "a=1")]))
    }

    @Test("A map of lower-case names becomes the same headers as its pairs")
    func singleValuedLowerCase() {
        let map = [
            ":authority": "api.example", "authorization": "Bearer abc", "x-request-id": "r-1",
            "accept-encoding": "gzip, deflate", "user-agent": "Mozilla/5.0 (X11)", "": "empty name",
        ]
        let headers = HTTPHeaders(singleValued: map)
        #expect(headers == HTTPHeaders(map.map { ($0.key, $0.value) }))
        #expect(headers.count == map.count)
        #expect(headers["authorization"] == ["Bearer abc"])
        #expect(headers.first("x-request-id") == "r-1")
        #expect(contents(headers) == map.mapValues { [$0] })
    }

    @Test("A map with upper-case names is lower-cased; names that meet keep both values in the map's order")
    func singleValuedMixedCase() {
        let map = ["X-Tenant": "upper", "x-tenant": "lower", "Accept": "json", "traceparent": "00-abc"]
        let headers = HTTPHeaders(singleValued: map)
        // The order the values of one name are kept in is the map's own iteration order.
        let expectedTenant = Array(map).filter { $0.key.lowercased() == "x-tenant" }.map(\.value)
        #expect(headers == HTTPHeaders(map.map { ($0.key, $0.value) }))
        #expect(headers.count == 3)
        #expect(headers["x-tenant"] == expectedTenant)
        #expect(headers["accept"] == ["json"])
        #expect(headers["traceparent"] == ["00-abc"])
        #expect(headers["Accept"] == nil)
    }

    @Test("A request's id is its x-request-id header unless given")
    func requestID() {
        let request = AuthzRequest(headers: [("X-Request-Id", "r-7"), ("x-request-id", "r-8")])
        #expect(request.id == "r-7")
        #expect(AuthzRequest(headers: [("x-request-id", "r-7")], id: "given").id == "given")
        #expect(AuthzRequest().id == nil)
    }
}
