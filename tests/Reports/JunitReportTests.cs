using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using SimCluster.Cli.Reports;

namespace SimCluster.Tests.Reports;

[Trait("Category", "Unit")]
public sealed class JunitReportTests
{
    /// <summary>
    /// The common JUnit XML layout that CI systems read (Ant's junit task, as Jenkins, GitLab, GitHub and
    /// Azure DevOps take it), in its strict form: every suite has name, tests, failures, errors, time and
    /// timestamp; every test case name, classname and time; a case holds at most one failure, error or skip.
    /// </summary>
    internal const string JunitXsd = """
        <?xml version="1.0" encoding="UTF-8"?>
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
          <xs:simpleType name="seconds">
            <xs:restriction base="xs:decimal"><xs:minInclusive value="0"/></xs:restriction>
          </xs:simpleType>
          <xs:simpleType name="timestamp">
            <xs:restriction base="xs:string"><xs:pattern value="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"/></xs:restriction>
          </xs:simpleType>
          <xs:complexType name="problem">
            <xs:simpleContent>
              <xs:extension base="xs:string">
                <xs:attribute name="message" type="xs:string"/>
                <xs:attribute name="type" type="xs:string" use="required"/>
              </xs:extension>
            </xs:simpleContent>
          </xs:complexType>
          <xs:complexType name="testcase">
            <xs:sequence>
              <xs:choice minOccurs="0" maxOccurs="1">
                <xs:element name="skipped" type="problem"/>
                <xs:element name="error" type="problem"/>
                <xs:element name="failure" type="problem"/>
              </xs:choice>
              <xs:element name="system-out" type="xs:string" minOccurs="0"/>
              <xs:element name="system-err" type="xs:string" minOccurs="0"/>
            </xs:sequence>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="classname" type="xs:string" use="required"/>
            <xs:attribute name="time" type="seconds" use="required"/>
          </xs:complexType>
          <xs:complexType name="testsuite">
            <xs:sequence>
              <xs:element name="properties" minOccurs="0">
                <xs:complexType>
                  <xs:sequence>
                    <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
                      <xs:complexType>
                        <xs:attribute name="name" type="xs:string" use="required"/>
                        <xs:attribute name="value" type="xs:string" use="required"/>
                      </xs:complexType>
                    </xs:element>
                  </xs:sequence>
                </xs:complexType>
              </xs:element>
              <xs:element name="testcase" type="testcase" minOccurs="0" maxOccurs="unbounded"/>
              <xs:element name="system-out" type="xs:string" minOccurs="0"/>
              <xs:element name="system-err" type="xs:string" minOccurs="0"/>
            </xs:sequence>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
            <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
            <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
            <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
            <xs:attribute name="time" type="seconds" use="required"/>
            <xs:attribute name="timestamp" type="timestamp" use="required"/>
            <xs:attribute name="hostname" type="xs:string" use="required"/>
            <xs:attribute name="id" type="xs:string"/>
            <xs:attribute name="package" type="xs:string"/>
          </xs:complexType>
          <xs:element name="testsuites">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="testsuite" type="testsuite" minOccurs="0" maxOccurs="unbounded"/>
              </xs:sequence>
              <xs:attribute name="name" type="xs:string"/>
              <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
              <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
              <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
              <xs:attribute name="time" type="seconds"/>
            </xs:complexType>
          </xs:element>
        </xs:schema>
        """;

    /// <summary>Validates <paramref name="xml"/> against <see cref="JunitXsd"/> and checks the counts add up.</summary>
    internal static XDocument AssertValidJunit(string xml)
    {
        var schemas = new XmlSchemaSet();
        schemas.Add(null, XmlReader.Create(new StringReader(JunitXsd)));
        var errors = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = schemas };
        settings.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity} line {e.Exception?.LineNumber}: {e.Message}");
        using (var reader = XmlReader.Create(new StringReader(xml), settings))
        {
            while (reader.Read()) { }
        }
        Assert.True(errors.Count == 0, "report.junit.xml does not validate:\n" + string.Join("\n", errors) + "\n" + xml);

        var doc = XDocument.Parse(xml);
        var root = doc.Root!;
        foreach (var suite in root.Elements("testsuite"))
        {
            Assert.Equal(suite.Elements("testcase").Count(), (int)suite.Attribute("tests")!);
            Assert.Equal(suite.Elements("testcase").Count(c => c.Element("failure") is not null), (int)suite.Attribute("failures")!);
            Assert.Equal(suite.Elements("testcase").Count(c => c.Element("error") is not null), (int)suite.Attribute("errors")!);
        }
        Assert.Equal(root.Elements("testsuite").Sum(s => (int)s.Attribute("tests")!), (int)root.Attribute("tests")!);
        Assert.Equal(root.Elements("testsuite").Sum(s => (int)s.Attribute("failures")!), (int)root.Attribute("failures")!);
        Assert.Equal(root.Elements("testsuite").Sum(s => (int)s.Attribute("errors")!), (int)root.Attribute("errors")!);
        return doc;
    }

    internal static JsonObject SampleReport(string verdict = "fail") => JsonNode.Parse("""
        {
          "schema": "simcluster.report/v1", "scenario": "demo", "runId": "demo-1", "seed": 42,
          "target": "ws://127.0.0.1:5080/ws", "startedAt": "2026-01-01T10:00:00.1234567Z", "endedAt": "2026-01-01T10:01:00Z",
          "durationSeconds": 60.25, "clients": { "planned": 100, "started": 100 }, "verdict": "VERDICT", "partial": false,
          "metrics": {
            "connects": { "type": "counter", "value": 150, "rate": 2.5 },
            "connect_failures": { "type": "counter", "value": 3, "rate": 0.05 },
            "reconnect_time": { "type": "trend", "unit": "ms", "count": 50, "min": 100, "avg": 900, "med": 800, "p90": 1500, "p95": 1734.2, "p99": 2000, "max": 2100 },
            "message_rtt": { "type": "trend", "unit": "ms", "count": 0, "min": 0, "avg": 0, "med": 0, "p90": 0, "p95": 0, "p99": 0, "max": 0 },
            "connect_success_ratio": { "type": "ratio", "value": 0.98 }
          },
          "closeCodes": { "1000": 12, "1006": 3 },
          "connectErrors": { "refused": 3 },
          "disconnectCauses": { "forced:reset": 7, "server:close-1001": 2, "connect:refused": 3 },
          "thresholds": [
            { "metric": "connect_failures", "expression": "count==0", "actual": 3, "passed": false, "note": null },
            { "metric": "reconnect_time", "expression": "p(95)<1500", "actual": 1734.2, "passed": false, "note": null },
            { "metric": "reconnect_time{group:flappers}", "expression": "max<3000", "actual": 2100, "passed": true, "note": null },
            { "metric": "heartbeat_rtt", "expression": "p(95)<100", "actual": null, "passed": false, "note": "no samples" }
          ],
          "groups": { "flappers": { "behavior": "flapping", "clients": 100, "metrics": {
            "connects": { "type": "counter", "value": 150, "rate": 2.5 },
            "reconnect_time": { "type": "trend", "unit": "ms", "count": 50, "min": 100, "avg": 900, "med": 800, "p90": 1500, "p95": 1734.2, "p99": 2000, "max": 2100 } },
            "closeCodes": { "1000": 12 },
            "disconnectCauses": { "forced:reset": 7, "server:close-1001": 2, "connect:refused": 3 } } },
          "timeline": [
            { "t": 1, "open": 90, "connects": 100, "connectFailures": 1, "disconnects": 10, "forcedDrops": 10, "messagesSent": 90, "messagesReceived": 88, "messagesLost": 2, "rttP95": 3.5 },
            { "t": 2, "open": 95, "connects": 20, "connectFailures": 2, "disconnects": 15, "forcedDrops": 15, "messagesSent": 95, "messagesReceived": 95, "messagesLost": 0, "rttP95": 4.5 }
          ],
          "cases": [
            { "id": "F11", "title": "reserved opcode", "expected": "close 1002", "observed": "close 1002", "verdict": "OK", "clients": 10 },
            { "id": "F02", "title": "unmasked client frame", "expected": "close 1002", "observed": "no close (connection kept)", "verdict": "FAILED", "clients": 10 },
            { "id": "A01", "title": "invalid JSON", "expected": "close 1007", "observed": "close 1003", "verdict": "WRONG-CODE", "clients": 10 }
          ],
          "silos": [ { "address": "127.0.0.1:11111@1", "clients": 100, "lost": false } ],
          "notes": [ "a note" ],
          "timelines": [
            { "client": 4, "group": "flappers", "behavior": "flapping", "eventsDropped": 0, "events": [
              { "atMs": 100.5, "event": "connecting", "state": "connecting", "detail": "attempt 1 from 127.1.0.5" },
              { "atMs": 102.0, "event": "open", "state": "open", "detail": "connect 1.5 ms" },
              { "atMs": 1500, "event": "dropped", "state": "dropped", "detail": "forced:reset, outage 300 ms" },
              { "atMs": 1800, "event": "waiting", "state": "waiting-to-reconnect", "detail": "next attempt in 40 ms" },
              { "atMs": 1840, "event": "connecting", "state": "connecting", "detail": "attempt 1 from 127.1.0.5" },
              { "atMs": 1842, "event": "open", "state": "open", "detail": "connect 2 ms, back 342 ms after the loss" },
              { "atMs": 2000, "event": "stopping", "state": "closing", "detail": "run finished" },
              { "atMs": 2005, "event": "closed", "state": "closed", "detail": null } ] }
          ]
        }
        """.Replace("VERDICT", verdict))!.AsObject();

    [Fact]
    public void A_failed_run_validates_and_lists_failing_thresholds_and_cases_as_failures()
    {
        var doc = AssertValidJunit(JunitReport.Render(SampleReport()));
        var cases = doc.Descendants("testcase").ToList();
        Assert.Equal(7, cases.Count); // 4 thresholds + 3 malformed cases

        var failed = cases.Where(c => c.Element("failure") is not null).ToDictionary(c => (string)c.Attribute("name")!, c => c.Element("failure")!);
        Assert.Equal(
            ["A01 invalid JSON", "F02 unmasked client frame", "connect_failures count==0", "heartbeat_rtt p(95)<100", "reconnect_time p(95)<1500"],
            failed.Keys.Order(StringComparer.Ordinal));
        var rtt = failed["reconnect_time p(95)<1500"];
        Assert.Equal("threshold", (string)rtt.Attribute("type")!);
        Assert.Contains("expected p(95)<1500", (string)rtt.Attribute("message")!);
        Assert.Contains("actual 1734.2", (string)rtt.Attribute("message")!);
        Assert.Contains("no value (no samples)", (string)failed["heartbeat_rtt p(95)<100"].Attribute("message")!);
        Assert.Equal("WRONG-CODE", (string)failed["A01 invalid JSON"].Attribute("type")!);
        Assert.Contains("observed close 1003", (string)failed["A01 invalid JSON"].Attribute("message")!);

        var passed = cases.Single(c => (string)c.Attribute("name")! == "reconnect_time{group:flappers} max<3000");
        Assert.Empty(passed.Elements());
        Assert.Equal("simcluster.demo.thresholds", (string)passed.Attribute("classname")!);
        Assert.Equal(["demo.thresholds", "demo.malformed-cases"], doc.Root!.Elements("testsuite").Select(s => (string)s.Attribute("name")!));
        Assert.Equal("2026-01-01T10:00:00", (string)doc.Root!.Element("testsuite")!.Attribute("timestamp")!);
    }

    [Fact]
    public void Cases_not_applicable_or_not_run_are_skipped_not_failed()
    {
        var report = SampleReport();
        report["cases"]!.AsArray().Add(JsonNode.Parse("""{ "id": "F23", "title": "deflate bomb", "expected": "close 1009", "observed": "not applicable", "verdict": "NOT-APPLICABLE", "clients": 2 }"""));
        report["cases"]!.AsArray().Add(JsonNode.Parse("""{ "id": "F05", "title": "unmasked", "expected": "close 1002 or drop", "observed": "not run: no attacker ran this case before the run ended", "verdict": "NOT-RUN", "clients": 0 }"""));
        var doc = AssertValidJunit(JunitReport.Render(report));
        var suite = doc.Root!.Elements("testsuite").Single(s => (string)s.Attribute("name")! == "demo.malformed-cases");
        var skipped = suite.Elements("testcase").Where(c => c.Element("skipped") is not null).ToDictionary(c => (string)c.Attribute("name")!, c => (string)c.Element("skipped")!.Attribute("type")!);
        Assert.Equal(new Dictionary<string, string> { ["F23 deflate bomb"] = "NOT-APPLICABLE", ["F05 unmasked"] = "NOT-RUN" }, skipped);
        Assert.Equal(2, (int)suite.Attribute("skipped")!);
        Assert.Equal(2, (int)suite.Attribute("failures")!); // F02 and A01, as before
    }

    [Fact]
    public void A_run_without_cases_has_only_the_threshold_suite_and_a_partial_run_an_error()
    {
        var report = SampleReport("partial");
        report["cases"] = new JsonArray();
        report["partial"] = true;
        var doc = AssertValidJunit(JunitReport.Render(report));
        Assert.Equal(["demo.thresholds", "demo.run"], doc.Root!.Elements("testsuite").Select(s => (string)s.Attribute("name")!));
        Assert.Equal(1, (int)doc.Root!.Attribute("errors")!);
    }

    [Fact]
    public void Text_that_XML_cannot_carry_is_escaped_or_dropped()
    {
        var report = SampleReport();
        report["notes"] = new JsonArray("a <note> & \"quotes\" \u0001 bell \U0001F600");
        report["thresholds"]![0]!["metric"] = "connects<&>";
        var xml = JunitReport.Render(report);
        var doc = AssertValidJunit(xml);
        Assert.Contains("a <note> & \"quotes\"  bell \U0001F600", doc.Descendants("system-out").First().Value);
        Assert.Contains(doc.Descendants("testcase"), c => ((string)c.Attribute("name")!).StartsWith("connects<&>", StringComparison.Ordinal));
    }
}
