using SimCluster.Abstractions.Security;
using SimCluster.Cli.Commands;
using SimCluster.Cli.Reports;
using SimCluster.Scenarios;
using SimCluster.Target;
using SimCluster.Tests.Reports;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Reliability;

/// <summary>
/// Issue 10: a secret given in any YAML form (multi-line scalars, lists, nested mappings, headers, query
/// strings in a list of targets) never reaches an output: the echoed scenario, report.json, report.html,
/// report.junit.xml, the console, or an error message that quotes a value. Each test plants distinct secret
/// values and greps every output for them.
/// </summary>
public sealed class SecretLeakTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("secret-leak");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    /// <summary>Every secret form at once; the values all start with SECRET so a leak of any part shows.</summary>
    private const string SecretYaml = """
        name: secrets
        clients: 5
        auth:
          jwt: { key: SECRET-flow-key, lifetime: 60s }
          signingKey: |
            SECRET-literal-line-1
            SECRET-literal-line-2
          privateKey: >-
            SECRET-folded-line-1
            SECRET-folded-line-2
          tokens:
            - SECRET-list-item-1
            - "SECRET-list-item-2"
          apiTokens: [SECRET-flow-item-1, 'SECRET-flow-item-2']
          credentials:
            user: alice
            password: SECRET-nested
          password: "SECRET-quoted-line-1
            SECRET-quoted-line-2"
          clientSecret: SECRET-plain, SECRET-after-comma # a comment
          apiKey: SECRET-hash#SECRET-tail
        headers:
          - "Authorization: Bearer SECRET-bearer-in-list"
          - Cookie: session=SECRET-cookie
        extraHeaders: { Authorization: Basic SECRET-basic }
        target:
          - ws://127.0.0.1:5080/ws?token=SECRET-query-1&x=1
          - ws://127.0.0.1:5081/ws?x=1&access_token=SECRET-query-2
          - wss://bot:SECRET-userinfo@127.0.0.1:5082/ws
        notes: a JWT eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbGllbnQtMSJ9.SECRETsig in passing
        duration: 5s
        """;

    private static readonly string[] Planted =
    [
        "SECRET-flow-key", "SECRET-literal-line-1", "SECRET-literal-line-2", "SECRET-folded-line-1", "SECRET-folded-line-2",
        "SECRET-list-item-1", "SECRET-list-item-2", "SECRET-flow-item-1", "SECRET-flow-item-2", "SECRET-nested",
        "SECRET-quoted-line-1", "SECRET-quoted-line-2", "SECRET-plain", "SECRET-after-comma", "SECRET-hash", "SECRET-tail",
        "SECRET-bearer-in-list", "SECRET-cookie", "SECRET-basic", "SECRET-query-1", "SECRET-query-2", "SECRET-userinfo",
        "SECRETsig", "eyJzdWIiOiJjbGllbnQtMSJ9",
    ];

    private static void AssertNoSecret(string output, string where)
    {
        foreach (var secret in Planted) Assert.False(output.Contains(secret, StringComparison.Ordinal), $"{where} shows '{secret}':\n{output}");
        Assert.DoesNotContain("SECRET", output); // nothing of any of them
    }

    [Fact]
    public void Every_yaml_form_of_a_secret_is_masked_and_the_rest_keeps_its_shape()
    {
        var redacted = Secrets.Redact(SecretYaml);

        AssertNoSecret(redacted, "the redacted scenario");
        Assert.Equal(SecretYaml.Split('\n').Length, redacted.Split('\n').Length); // line numbers still match the file
        foreach (var kept in new[] { "name: secrets", "clients: 5", "lifetime: 60s", "duration: 5s", "  signingKey: |", "  privateKey: >-", "# a comment",
                     "ws://127.0.0.1:5080/ws?token=***&x=1", "wss://bot:***@127.0.0.1:5082/ws", "extraHeaders: { Authorization: *** }", "    - ***" })
            Assert.Contains(kept, redacted);
    }

    [Theory]
    [InlineData("signingKey: |\n  line-one\n  line-two\nclients: 5", "signingKey: |\n  ***\n  ***\nclients: 5")]
    [InlineData("tokens:\n- a1\n-  b2\nnext: 1", "tokens:\n- ***\n-  ***\nnext: 1")] // a block list at the key's own indentation is its value too
    [InlineData("- apiKey: k1\n  name: n\n", "- apiKey: ***\n  name: n\n")]
    [InlineData("apiTokens: [t1, t2]", "apiTokens: [***]")]
    [InlineData("headers: { Authorization: Bearer abc.def }", "headers: { Authorization: *** }")]
    [InlineData("generateKey: true", "generateKey: true")]
    [InlineData("# tokens:\n#   - c1\n# name: x", "# tokens:\n#   - ***\n# name: x")] // commented out, still shown in the report
    [InlineData("password:\r\n  p1\r\nx: 1\r\n", "password:\r\n  ***\r\nx: 1\r\n")]
    public void Block_values_under_a_secret_key_are_masked_line_by_line(string text, string expected) =>
        Assert.Equal(expected, Secrets.Redact(text));

    [Fact]
    public void Validation_errors_that_quote_a_value_never_show_a_secret()
    {
        var path = Path.Combine(_temp, "invalid.yaml");
        File.WriteAllText(path, """
            name: invalid-secrets
            target: ["ws://127.0.0.1:1/ws?token=SECRET-query-1", "not a url Bearer SECRET-bearer-in-list", "ftp://u:SECRET-userinfo@127.0.0.1/?access_token=SECRET-query-2"]
            clients: 5
            duration: 5s
            auth:
              jwt:
                key: SECRET-flow-key
                secret: |
                  SECRET-literal-line-1
                generateKey: SECRET-plain
              send: "Authorization: Bearer SECRET-basic"
              tokenUrl: "http://127.0.0.1:1/token?client_secret=SECRET-nested eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbGllbnQtMSJ9.SECRETsig"
            """);
        var loaded = ScenarioLoader.LoadFile(path, ["auth.jwt.secret=SECRET-list-item-1", "auth.jwt.signingKey=SECRET-list-item-2"]);
        Assert.False(loaded.Ok);
        Assert.True(loaded.Errors.Count >= 5, string.Join("\n", loaded.Errors));

        var printed = new StringWriter();
        ValidateCommand.PrintProblems(loaded, printed);
        AssertNoSecret(printed.ToString(), "validation errors");
        AssertNoSecret(string.Join("\n", loaded.Errors.Select(e => e.Message)), "error messages");
        Assert.Contains("got '***'", printed.ToString()); // the value was quoted, and masked
    }

    [Fact]
    public void The_echoed_scenario_and_every_report_file_show_no_secret()
    {
        var path = Path.Combine(_temp, "secrets.yaml");
        File.WriteAllText(path, SecretYaml);
        var source = ScenarioSource.Read(path, ["auth.privateKey=SECRET-literal-line-1", "target=[ws://127.0.0.1:1/ws?token=SECRET-query-1]"])!;
        var report = JunitReportTests.SampleReport();
        report["scenarioFile"] = source.ToJson();

        AssertNoSecret(source.ToJson().ToJsonString(), "scenarioFile");
        AssertNoSecret(HtmlReport.Render(report), "report.html");
        AssertNoSecret(JunitReport.Render(report), "report.junit.xml");
    }

    /// <summary>
    /// The real CLI, against the reference target: targets carrying a token in their query string and a
    /// password in their user info, comments and --set values with secrets. Nothing of them in the console
    /// output or any file of the report folder.
    /// </summary>
    [Fact]
    [Trait("Category", "Integration")]
    public async Task A_run_with_secrets_in_its_targets_shows_none_of_them_anywhere()
    {
        await using var target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });
        var port = target.WebSocketUri.Port;
        var scenario = Path.Combine(_temp, "run.yaml");
        await File.WriteAllTextAsync(scenario, $"""
            # yaml-language-server: $schema=../schemas/scenario.schema.json
            # apiKey: SECRET-flow-key
            # tokens:
            #   - SECRET-list-item-1
            name: secret-run
            target:
              - ws://127.0.0.1:{port}/ws?token=SECRET-query-1&x=1
              - ws://bot:SECRET-userinfo@127.0.0.1:{port}/ws?access_token=SECRET-query-2
            clients: 4
            duration: 3s
            messages: {"{"} interval: 500ms, size: 64, lossTimeout: 2s {"}"}
            """);
        var outDir = Path.Combine(_temp, "out");

        var result = await Simcluster.RunAsync("run", scenario, "--no-live", "--out", outDir,
            "--set", "name=secret-run", "--target", $"ws://127.0.0.1:{port}/ws?token=SECRET-nested");

        Assert.True(result.ExitCode == 0, result.ToString());
        AssertNoSecret(result.Stdout + result.Stderr, "the console");
        var files = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith("report.json", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("report.html", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("report.junit.xml", StringComparison.Ordinal));
        foreach (var file in files) AssertNoSecret(await File.ReadAllTextAsync(file), Path.GetFileName(file));
        Assert.Contains("token=***", await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")));
    }
}
