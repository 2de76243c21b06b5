import Foundation
import GatehouseTestSupport
import Testing

@Suite("gatehouse check", .timeLimit(.minutes(2)))
struct CheckCommandTests {
    private let clerk = [
        "check", "--policies", "policies", "--host", "civil-registry.gov.example",
        "--context", "building_block=civil-registry", "--issuer", "https://idp.gov.example", "--subject", "alice",
        "--claim", "realm_access.roles=clerk", "--header", "x-purpose-of-use: registration",
    ]

    @Test("An allowed request exits 0 and prints the headers to set and remove")
    func allow() throws {
        let output = try GatehouseProcess.run(self.clerk + ["--method", "GET", "--path", "/births/1987-0042"])
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        #expect(output.stdout.hasPrefix("allow 200 allowed"))
        #expect(output.stdout.contains("rule: clerks-read-births"))
        #expect(output.stdout.contains("set header: x-gatehouse-subject: alice (overwrite)"))
        #expect(output.stdout.contains("remove header: authorization"))
    }

    @Test("A denied request exits 1")
    func deny() throws {
        let output = try GatehouseProcess.run(self.clerk + ["--method", "DELETE", "--path", "/births/1987-0042"])
        #expect(output.status == 1)
        #expect(output.stdout.hasPrefix("deny 403"))
    }

    @Test("An anonymous caller on a protected path gets 401 with WWW-Authenticate")
    func anonymous() throws {
        let output = try GatehouseProcess.run([
            "check", "--policies", "policies", "--host", "civil-registry.gov.example", "--context",
            "building_block=civil-registry", "--path", "/births/1",
        ])
        #expect(output.status == 1)
        #expect(output.stdout.hasPrefix("deny 401 missing_credentials"))
        #expect(output.stdout.contains("www-authenticate: Bearer realm="))
    }

    @Test("--explain shows the selected policy, the rules reached and the decision")
    func explain() throws {
        let output = try GatehouseProcess.run(self.clerk + ["--path", "/births/1987-0042", "--explain"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("policy 'civil-registry' ("))
        #expect(output.stdout.contains("tree: method 'GET' → bucket GET → path trie '/births/1987-0042'"))
        #expect(output.stdout.contains("reached rule 'clerks-read-births'"))
        #expect(output.stdout.contains("decision: allow 200 allowed by rule 'clerks-read-births'"))
    }

    @Test("--json prints a machine-readable decision; an ambiguous path is a 400")
    func json() throws {
        let output = try GatehouseProcess.run(self.clerk + ["--path", "/births/..%2Fsecret", "--json"])
        #expect(output.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(object["decision"] as? String == "deny")
        #expect(object["status"] as? Int == 400)
        #expect(object["reason"] as? String == "ambiguous_path")
    }

    @Test(
        "Usage errors exit 2",
        arguments: [
            ["check", "--bogus"],
            ["check", "--policies", "policies", "--header", "no-colon"],
            ["check", "--policies", "policies", "--claim", "role=clerk"],
            ["check", "--policies", "policies", "--source-address", "not-an-ip"],
            ["nonsense"],
        ])
    func usage(arguments: [String]) throws {
        let output = try GatehouseProcess.run(arguments)
        #expect(output.status == 2, "\(arguments): \(output.stdout)\(output.stderr)")
        #expect(!output.stderr.isEmpty)
    }
}
