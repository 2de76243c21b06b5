import GatehouseCore
import Testing

@testable import GatehousePolicy

/// A large policy's rules read while the rest of its file is composed: the composer hands them
/// out, and the results are the serial read's.
@Suite("Rules read while the YAML is composed")
struct RuleStreamTests {
    /// `count` rules under `rules:` at `indent`, each on one line, with `prefix` in their names.
    static func rules(_ count: Int, prefix: String = "r", indent: String = "") -> [String] {
        (0..<count).map { "\(indent)  - { name: \(prefix)\($0), action: allow, paths: [/\(prefix)\($0)] }" }
    }

    /// Serial (nothing streamed) and streamed in chunks of 7 give the same diagnostics and rules.
    static func expectSameAsSerial(_ sources: [PolicySource]) throws -> PolicyCompiler.Result {
        let serial = PolicyCompiler.compile(sources: sources, rulesPerChunk: .max)
        let streamed = PolicyCompiler.compile(sources: sources, rulesPerChunk: 7)
        #expect(streamed.diagnostics == serial.diagnostics)
        #expect(streamed.compiled?.tree.policies.map(\.rules) == serial.compiled?.tree.policies.map(\.rules))
        #expect(streamed.compiled?.documents.map(\.rules.count) == serial.compiled?.documents.map(\.rules.count))
        return serial
    }

    @Test("A long root `rules` list is handed out in chunks and left empty; short and nested ones stay in the tree")
    func composerHandsOutRootRules() throws {
        let text =
            (["kind: Policy", "name: big", "select:", "  rules:"] + Self.rules(9, prefix: "n", indent: "  ")
            + ["rules:"] + Self.rules(10) + ["---", "kind: Policy", "name: small", "rules:"] + Self.rules(4))
            .joined(separator: "\n") + "\n"
        var taken: [(document: Int, names: [String])] = []
        let sink = YAMLEventComposer.SequenceSink(key: "rules", chunkSize: 4) { document, items in
            let names = items.map { item -> String in
                guard case .mapping(let pairs) = item.content else { return "?" }
                return pairs.first { $0.key.scalarText == "name" }?.value.scalarText ?? "?"
            }
            taken.append((document, names))
        }
        let documents = try YAMLEventComposer.documents(of: text, path: "p.yaml", sink: sink)
        #expect(taken.map(\.document) == [0, 0, 0])
        #expect(taken.map(\.names) == [["r0", "r1", "r2", "r3"], ["r4", "r5", "r6", "r7"], ["r8", "r9"]])
        func sequence(_ document: YAMLNode, _ path: [String]) -> [YAMLNode]? {
            var node = document
            for key in path {
                guard case .mapping(let pairs) = node.content,
                    let value = pairs.first(where: { $0.key.scalarText == key })?.value
                else { return nil }
                node = value
            }
            if case .sequence(let items) = node.content { return items }
            return nil
        }
        #expect(try #require(sequence(documents[0], ["rules"])).isEmpty)
        #expect(sequence(documents[0], ["select", "rules"])?.count == 9, "not a root key: stays")
        #expect(sequence(documents[1], ["rules"])?.count == 4, "no longer than a chunk: stays")
    }

    @Test(
        "A file that fails after chunks were handed out reports its failure alone, as without streaming",
        arguments: [
            ["  - name: [unclosed"],  // a syntax error after the rules
            ["name: again"],  // a duplicate root key, found when the root mapping ends
        ])
    func failureAfterHandingOut(tail: [String]) throws {
        let text = (["kind: Policy", "name: big", "rules:"] + Self.rules(30) + tail).joined(separator: "\n") + "\n"
        let result = try Self.expectSameAsSerial([PolicySource(path: "policies/big.yaml", text: text)])
        #expect(result.errors.count == 1)
        #expect(result.compiled == nil)
    }

    @Test("Streamed rules count only where a serial read reads the rules")
    func streamedRulesUsedOnlyWhereRead() throws {
        let bad = ["  - name: bad", "    action: permit", "  - name: worse", "    method: [GET]"]
        let sources = [
            // A group has no rules: the key is reported, the list is not read.
            PolicySource(
                path: "policies/a-group.yaml",
                text: (["kind: Group", "name: g", "members: { groups: [h] }", "rules:"] + Self.rules(20) + bad)
                    .joined(separator: "\n") + "\n"),
            // A policy without a name stops before its rules: their errors are not reported.
            PolicySource(
                path: "policies/b-nameless.yaml",
                text: (["kind: Policy", "rules:"] + Self.rules(20) + bad).joined(separator: "\n") + "\n"),
            // Two large policies in one file, each with errors in its own chunks.
            PolicySource(
                path: "policies/c-two.yaml",
                text: (["kind: Policy", "name: first", "rules:"] + bad + Self.rules(20, prefix: "f") + [
                    "---", "kind: Policy", "name: second", "rules:",
                ] + Self.rules(20, prefix: "s") + bad).joined(separator: "\n") + "\n"),
            // A test file holds no policy: its rules are never read.
            PolicySource(
                path: "policies/d_test.yaml",
                text: (["kind: Policy", "name: t", "rules:"] + Self.rules(20) + bad).joined(separator: "\n") + "\n"),
        ]
        let result = try Self.expectSameAsSerial(sources)
        let codes = result.errors.map {
            "\($0.location.file.split(separator: "/").last!):\($0.location.line): \($0.code.rawValue)"
        }
        // The bad rules' errors (invalid action, missing action, unknown key) in both policies of
        // c-two.yaml only; the two policies select the same (everything) as well.
        #expect(
            codes == [
                "a-group.yaml:3: policy_unknown_group", "a-group.yaml:4: policy_unknown_key",
                "b-nameless.yaml:1: policy_missing_key", "c-two.yaml:5: policy_invalid_value",
                "c-two.yaml:6: policy_missing_key", "c-two.yaml:7: policy_unknown_key",
                "c-two.yaml:29: policy_duplicate_selector", "c-two.yaml:53: policy_invalid_value",
                "c-two.yaml:54: policy_missing_key", "c-two.yaml:55: policy_unknown_key",
                "d_test.yaml:1: policy_unknown_kind",
            ])
    }
}
