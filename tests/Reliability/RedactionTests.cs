using SimCluster.Abstractions.Security;
using SimCluster.Cli.Reports;
using SimCluster.Tests.Reports;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Reliability;

/// <summary>Issue 10: secrets are redacted everywhere the scenario is echoed (report.json, report.html, errors).</summary>
[Trait("Category", "Unit")]
public sealed class RedactionTests
{
    [Theory]
    [InlineData("password: hunter2", "password: ***")]
    [InlineData("  apiKey: 'abc def'   # comment", "  apiKey: '***'   # comment")]
    [InlineData("auth: { jwt: { secret: s3cr3t, lifetime: 60s } }", "auth: { jwt: { secret: ***, lifetime: 60s } }")]
    [InlineData("auth.jwt.secret=s3cr3t", "auth.jwt.secret=***")]
    [InlineData("\"access_token\": \"eyJhbGciOi\"", "\"access_token\": \"***\"")]
    [InlineData("target: ws://127.0.0.1:5080/ws?token=eyJabc&x=1", "target: ws://127.0.0.1:5080/ws?token=***&x=1")]
    [InlineData("wss://alice:pa55word@example.com/ws", "wss://alice:***@example.com/ws")]
    [InlineData("CLIENT_SECRET=xyz", "CLIENT_SECRET=***")]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: ***")]
    // Where a secret lives is not a secret, and ordinary keys stay as they are:
    [InlineData("jwt: { secretEnv: SIM_JWT_SECRET, lifetime: 60s }", "jwt: { secretEnv: SIM_JWT_SECRET, lifetime: 60s }")]
    [InlineData("tokenUrl: http://127.0.0.1:9000/token", "tokenUrl: http://127.0.0.1:9000/token")]
    [InlineData("messages: { interval: 1s, size: 64, lossTimeout: 5s }", "messages: { interval: 1s, size: 64, lossTimeout: 5s }")]
    [InlineData("token_refresh_failures: [\"count==0\"]", "token_refresh_failures: [\"count==0\"]")]
    [InlineData("ws://127.0.0.1:5080/ws", "ws://127.0.0.1:5080/ws")]
    public void Secret_values_are_masked_and_nothing_else(string text, string expected) =>
        Assert.Equal(expected, Secrets.Redact(text));

    [Fact]
    public void The_scenario_as_run_in_report_json_and_html_shows_no_secret()
    {
        var folder = Simcluster.TempFolder("redaction");
        try
        {
            var path = Path.Combine(folder, "secret.yaml");
            File.WriteAllText(path, """
                name: secret
                target: wss://bot:pa55word@127.0.0.1:5080/ws?access_token=tok-123
                clients: 5
                duration: 5s
                auth:
                  jwt: { secret: s3cr3t-jwt, lifetime: 60s }
                  apiKey: "key-456"
                """);
            var source = ScenarioSource.Read(path, ["auth.jwt.secret=override-789", "clients=5"])!;
            var json = source.ToJson().ToJsonString();
            var report = JunitReportTests.SampleReport();
            report["scenarioFile"] = source.ToJson();
            var html = HtmlReport.Render(report);

            foreach (var secret in new[] { "pa55word", "tok-123", "s3cr3t-jwt", "key-456", "override-789" })
            {
                Assert.DoesNotContain(secret, json);
                Assert.DoesNotContain(secret, html);
            }
            Assert.Contains("secret: ***", source.Text);
            Assert.Contains("clients=5", json); // the rest is shown as it was
            Assert.Contains("lifetime: 60s", source.Text);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
