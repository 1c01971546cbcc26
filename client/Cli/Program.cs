using SimCluster.Abstractions.Security;
using System.CommandLine;
using System.Reflection;
using SimCluster.Cli;
using SimCluster.Cli.Api;
using SimCluster.Cli.Commands;
using SimCluster.Cli.Output;
using SimCluster.Cli.Reports;
using SimCluster.Cli.Runs;
using SimCluster.Grains.Auth;
using SimCluster.Scenarios;
using SimCluster.Silo;
using SimCluster.Target;
using Spectre.Console;

return await SimClusterCli.Create().RunAsync(args);

namespace SimCluster.Cli
{
    /// <summary>The command line (README). Parse errors exit with 104 and say what to fix.</summary>
    public sealed class SimClusterCli
    {
        private readonly RootCommand _root = new("SimCluster: WebSocket resilience testing with one Orleans grain per simulated client.");

        public static SimClusterCli Create()
        {
            var cli = new SimClusterCli();
            cli._root.Add(RunCommandDefinition());
            cli._root.Add(ValidateCommandDefinition());
            cli._root.Add(TargetCommandDefinition());
            cli._root.Add(SiloCommandDefinition());
            cli._root.Add(VersionCommandDefinition());
            cli._root.Add(ScenariosCommandDefinition());
            cli._root.Add(ReportCommandDefinition());
            cli._root.Add(SchemaCommandDefinition());
            cli._root.Add(MetricsCommandDefinition());
            cli._root.Add(DbCommandDefinition());
            foreach (var version in cli._root.Options.OfType<VersionOption>()) version.Action = new PrintVersion();
            return cli;
        }

        public async Task<int> RunAsync(string[] args)
        {
            // The parser's own messages in English, like every other message of the tool.
            System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
            var parsed = _root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                // The parser quotes the offending token whole; a megabyte of argument is not repeated back.
                foreach (var error in CommandLineErrors.Describe(parsed)) Console.Error.WriteLine($"error: {Secrets.RedactMessage(null, Excerpt.Message(error))}");
                Console.Error.WriteLine("Run './simcluster --help' (or './simcluster COMMAND --help') for usage.");
                return ExitCodes.InvalidInput;
            }
            if (parsed.CommandResult.Command.Name is "run" or "silo") SocketCompletions.RunOnEngineThreadUnlessSet();
            return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(40) });
        }

        private static Command RunCommandDefinition()
        {
            var scenario = new Argument<string>("SCENARIO") { Description = "Scenario file (YAML)" };
            var target = new Option<string>("--target") { Description = "Replaces the scenario's target (ws:// or wss:// URL, or 'embedded')" };
            var clients = new Option<string>("--clients") { Description = "Replaces the number of clients" }; // read by the scenario's own number parser, as --set clients=N
            var duration = new Option<string>("--duration") { Description = "Replaces the duration (e.g. 30s, 1m30s)" };
            var seed = new Option<long?>("--seed") { Description = "Seed for every random choice (the same seed repeats the same schedule)" }.WholeOrNone();
            var outDir = new Option<string>("--out") { Description = "Report folder (default simcluster-reports/NAME-TIMESTAMP)" };
            var cluster = new Option<string>("--cluster") { Description = "Omitted: embedded silo; 'localhost': a local silo; 'redis://HOST:PORT': a Redis-membership cluster; 'postgres://USER@HOST:PORT/DATABASE': a PostgreSQL-membership cluster" };
            var clusterPasswordFile = new Option<string>("--cluster-password-file") { Description = "With --cluster postgres://: file whose first line is the password (default: the URL's, else $PGPASSWORD)" };
            var clusterWait = new Option<string>("--cluster-wait") { Description = $"With --cluster: how long to wait for a silo to join before giving up with 105 (default {ClusterConnection.DefaultJoinWait.TotalSeconds:0}s)" };
            var responseTimeout = new Option<string>("--response-timeout") { Description = $"With --cluster: how long a call to the cluster may go unanswered before it fails (default {ClusterConnection.DefaultResponseTimeout.TotalSeconds:0}s; Orleans' own is 30s): a call caught on a silo that died fails after this" };
            var gatewayRefresh = new Option<string>("--gateway-refresh") { Description = $"With --cluster: how often the live gateways are re-read from membership (default {ClusterConnection.DefaultGatewayListRefreshPeriod.TotalSeconds:0}s; Orleans' own is 1m)" };
            var set = new Option<string[]>("--set") { Description = "Override a scenario key by path, e.g. --set population[1].flapping.cycles=3 (repeatable)", AllowMultipleArgumentsPerToken = false };
            var allow = new Option<string[]>("--allow-target") { Description = "Allow a non-loopback target host (repeatable)" };
            var noLive = new Option<bool>("--no-live") { Description = "Plain line-by-line progress (default when output is not a terminal)" };
            var dashboard = new Option<int?>("--dashboard")
            {
                Description = "Serve the live run page on 127.0.0.1:PORT (a free port when PORT is left out) and print its address; embedded runs only",
                Arity = ArgumentArity.ZeroOrOne,
            }.WholeOrNone();
            var api = new Option<string>("--api") { Description = "Run on a silo cluster through its HTTP control API, e.g. --api http://silo-host:8080 (instead of --cluster)" };
            var apiTokenFile = new Option<string>("--api-token-file") { Description = "With --api: file whose first line is the silo's token (default: $SIMCLUSTER_API_TOKEN)" };
            var command = new Command("run", "Run a scenario: live progress, a summary, report.json. Examples: ./simcluster run scenarios/smoke.yaml --clients 20; " +
                                             "./simcluster run scenarios/flapping.yaml --cluster redis://127.0.0.1:6379; ./simcluster run scenarios/smoke.yaml --api http://127.0.0.1:8080")
            {
                scenario, target, clients, duration, seed, outDir, cluster, set, allow, noLive, dashboard, api, apiTokenFile, clusterPasswordFile, clusterWait,
                responseTimeout, gatewayRefresh,
            };
            command.SetAction((parse, ct) =>
            {
                var arguments = ReadRunArguments(parse);
                if (ClusterConnection.SpecError(arguments.Cluster) is { } clusterError) return Fail(clusterError);
                if (parse.GetValue(clusterWait) is { } waitText)
                {
                    if (string.IsNullOrEmpty(arguments.Cluster)) return Fail("--cluster-wait: only with --cluster (an embedded run has its silo in this process)");
                    if (!Units.TryParseDuration(waitText, out var wait, out var waitError)) return Fail($"--cluster-wait: {waitError}");
                    if (wait <= TimeSpan.Zero) return Fail($"--cluster-wait: must be above 0s, got {Excerpt.Quote(waitText)}");
                    arguments = arguments with { ClusterWait = wait };
                }
                foreach (var (option, name) in new[] { (responseTimeout, "--response-timeout"), (gatewayRefresh, "--gateway-refresh") })
                {
                    if (parse.GetValue(option) is not { } text) continue;
                    if (string.IsNullOrEmpty(arguments.Cluster)) return Fail($"{name}: only with --cluster (an embedded run has its silo in this process)");
                    if (!Units.TryParseDuration(text, out var value, out var valueError)) return Fail($"{name}: {valueError}");
                    if (value < TimeSpan.FromMilliseconds(100) || value > TimeSpan.FromMinutes(10)) return Fail($"{name}: must be within 100ms..10m, got {Excerpt.Quote(text)}");
                    arguments = name == "--response-timeout" ? arguments with { ResponseTimeout = value } : arguments with { GatewayListRefreshPeriod = value };
                }
                if (arguments.ClusterPasswordFile is not null && !PostgresClustering.IsPostgres(arguments.Cluster))
                    return Fail("--cluster-password-file: only with --cluster postgres://...");
                if (PostgresClustering.IsPostgres(arguments.Cluster))
                {
                    try { PostgresClustering.Parse(arguments.Cluster!, arguments.ClusterPasswordFile, Environment.GetEnvironmentVariable); }
                    catch (ArgumentException e) { return Fail(e.Message); }
                }
                if (parse.GetValue(api) is not { } apiText) return RunCommand.ExecuteAsync(arguments, StdoutConsole.Create(), Console.Error, ct);
                if (arguments.Dashboard is not null)
                    return Fail($"--dashboard is for embedded runs; with --api the silo serves the live page at {apiText.TrimEnd('/')}{LivePages.Prefix}/RUN-ID");
                if (parse.GetValue(cluster) is not null)
                    return Fail("--api and --cluster exclude each other: --api reaches a cluster over HTTP, --cluster through its Orleans gateway");
                if (!Uri.TryCreate(apiText, UriKind.Absolute, out var apiUri) || apiUri.Scheme is not ("http" or "https"))
                    return Fail($"--api: '{apiText}' is not an http:// or https:// URL");
                ApiToken? token;
                try
                {
                    token = parse.GetValue(apiTokenFile) is { } file ? ApiToken.FromFile(file)
                        : Environment.GetEnvironmentVariable(ApiToken.Variable) is { Length: > 0 } value ? new ApiToken(value) : null;
                }
                catch (ArgumentException e) { return Fail(e.Message); }
                return ApiRunCommand.ExecuteAsync(arguments, apiUri, token, StdoutConsole.Create(), Console.Error, ct);
            });
            return command;

            static Task<int> Fail(string message)
            {
                Console.Error.WriteLine($"error: {message}");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            RunArguments ReadRunArguments(ParseResult parse) => new()
            {
                ScenarioPath = parse.GetValue(scenario)!,
                Target = parse.GetValue(target),
                Clients = parse.GetValue(clients),
                Duration = parse.GetValue(duration),
                Seed = parse.GetValue(seed),
                Out = parse.GetValue(outDir),
                Cluster = parse.GetValue(cluster),
                ClusterPasswordFile = parse.GetValue(clusterPasswordFile),
                Sets = parse.GetValue(set) ?? [],
                AllowTargets = parse.GetValue(allow) ?? [],
                NoLive = parse.GetValue(noLive),
                // Present without a port: 0, a free one.
                Dashboard = parse.GetResult(dashboard) is null ? null : parse.GetValue(dashboard) ?? 0,
            };
        }

        private static Command ValidateCommandDefinition()
        {
            var scenario = new Argument<string>("SCENARIO") { Description = "Scenario file (YAML)" };
            var set = new Option<string[]>("--set") { Description = "Override a scenario key by path (repeatable)" };
            var command = new Command("validate", "Check a scenario and list every problem with its line and column; runs nothing.") { scenario, set };
            command.SetAction(parse => ValidateCommand.Execute(parse.GetValue(scenario)!, parse.GetValue(set) ?? [], Console.Out, Console.Error));
            return command;
        }

        private static Command TargetCommandDefinition()
        {
            var defaults = new TargetOptions();
            var port = new Option<int>("--port") { Description = "Port (0 = any free port)", DefaultValueFactory = _ => defaults.Port }.Whole();
            var host = new Option<string>("--host") { Description = "Bind address", DefaultValueFactory = _ => defaults.Host };
            var allowPublic = new Option<bool>("--allow-non-loopback") { Description = "Allow binding to a non-loopback address" };
            var heartbeatInterval = new Option<string>("--heartbeat-interval") { Description = "Server WebSocket PING interval (0 = off), e.g. 1s" };
            var heartbeatTimeout = new Option<string>("--heartbeat-timeout") { Description = "Close a connection whose PONG is this late (0 = off), e.g. 2s" };
            var maxMessage = new Option<int>("--max-message-size") { Description = "Largest message accepted, in bytes (larger: close 1009)", DefaultValueFactory = _ => defaults.MaxMessageSize }.Whole();
            var echoDelay = new Option<string>("--echo-delay") { Description = "Delay before each echo, e.g. 50ms" };
            var pushRate = new Option<double>("--push-rate") { Description = "Session protocol: server messages per second per session" }.Number();
            var resumeWindow = new Option<string>("--resume-window") { Description = "Session protocol: how long a disconnected session is kept, e.g. 2m" };
            var parentPid = new Option<int?>("--parent-pid") { Description = "Exit when this process exits (used by embedded runs)" }.WholeOrNone();
            var authAlgorithm = new Option<string>("--auth-algorithm") { Description = "Check JWTs on upgrade (?token= or Authorization: Bearer) and in auth.refresh: HS256|HS384|HS512|RS256|RS384|RS512" };
            var authKeyEnv = new Option<string>("--auth-key-env") { Description = "Environment variable holding the verification key (HS*: the secret; RS*: a PEM public key)" };
            var authKeyFile = new Option<string>("--auth-key-file") { Description = "File holding the verification key" };
            var authSkew = new Option<string>("--auth-clock-skew") { Description = "Accept tokens this long past exp; the 4001 close comes at exp plus this, e.g. 2s (default 0s)" };
            var authNoExpiry = new Option<bool>("--auth-no-expiry") { Description = "Do not close connections whose token expired (a server that does not enforce expiry)" };
            var hubDefaults = defaults.SignalR;
            var signalrPath = new Option<string>("--signalr-path") { Description = $"Path of the SignalR hub (negotiate at PATH/negotiate); default {hubDefaults.Path}" };
            var signalrKeepAlive = new Option<string>("--signalr-keep-alive") { Description = $"Hub ping interval (KeepAliveInterval); default {Units.FormatDuration(hubDefaults.KeepAliveInterval)}" };
            var signalrClientTimeout = new Option<string>("--signalr-client-timeout") { Description = $"Drop a hub client silent this long (ClientTimeoutInterval); default {Units.FormatDuration(hubDefaults.ClientTimeout)}" };
            var signalrPushInterval = new Option<string>("--signalr-push-interval") { Description = "Send every hub client a push {seq, ts} this often (0 = none), e.g. 1s" };
            var signalrPushCount = new Option<long?>("--signalr-push-count") { Description = "Pushes each hub connection gets at most (0 = no limit)" };
            var signalrNoStateful = new Option<bool>("--signalr-no-stateful-reconnect") { Description = "Refuse stateful reconnect (AllowStatefulReconnects = false)" };
            var signalrBuffer = new Option<long?>("--signalr-stateful-buffer") { Description = $"Bytes of unacknowledged messages kept per hub connection for replay (StatefulReconnectBufferSize); default {hubDefaults.StatefulReconnectBufferSize}" };
            var signalrReconnectWindow = new Option<string>("--signalr-reconnect-window") { Description = $"How long a dropped hub connection waits for its stateful reconnect (DisconnectTimeout); default {Units.FormatDuration(hubDefaults.ReconnectWindow)}" };
            var command = new Command("target", "Run the reference target server in the foreground. Example: ./simcluster target --port 5080 --heartbeat-interval 1s --heartbeat-timeout 2s")
            {
                port, host, allowPublic, heartbeatInterval, heartbeatTimeout, maxMessage, echoDelay, pushRate, resumeWindow, parentPid,
                authAlgorithm, authKeyEnv, authKeyFile, authSkew, authNoExpiry,
                signalrPath, signalrKeepAlive, signalrClientTimeout, signalrPushInterval, signalrPushCount, signalrNoStateful, signalrBuffer, signalrReconnectWindow,
            };
            command.SetAction(async (parse, ct) =>
            {
                var errors = new List<string>();
                TimeSpan Duration(Option<string> option, TimeSpan fallback)
                {
                    if (parse.GetValue(option) is not { } text) return fallback;
                    if (Units.TryParseDuration(text, out var value, out var error)) return value;
                    errors.Add($"{option.Name}: {error}");
                    return fallback;
                }
                var options = defaults with
                {
                    Port = parse.GetValue(port),
                    Host = parse.GetValue(host)!,
                    AllowNonLoopback = parse.GetValue(allowPublic),
                    HeartbeatInterval = Duration(heartbeatInterval, defaults.HeartbeatInterval),
                    HeartbeatTimeout = Duration(heartbeatTimeout, defaults.HeartbeatTimeout),
                    MaxMessageSize = parse.GetValue(maxMessage),
                    EchoDelay = Duration(echoDelay, defaults.EchoDelay),
                    PushRate = parse.GetValue(pushRate),
                    SessionResumeWindow = Duration(resumeWindow, defaults.SessionResumeWindow),
                    AuthAlgorithm = parse.GetValue(authAlgorithm),
                    AuthClockSkew = Duration(authSkew, defaults.AuthClockSkew),
                    AuthEnforceExpiry = !parse.GetValue(authNoExpiry),
                    SignalR = hubDefaults with
                    {
                        Path = parse.GetValue(signalrPath) ?? hubDefaults.Path,
                        KeepAliveInterval = Duration(signalrKeepAlive, hubDefaults.KeepAliveInterval),
                        ClientTimeout = Duration(signalrClientTimeout, hubDefaults.ClientTimeout),
                        PushInterval = Duration(signalrPushInterval, hubDefaults.PushInterval),
                        PushCount = parse.GetValue(signalrPushCount) ?? hubDefaults.PushCount,
                        StatefulReconnect = !parse.GetValue(signalrNoStateful),
                        StatefulReconnectBufferSize = parse.GetValue(signalrBuffer) ?? hubDefaults.StatefulReconnectBufferSize,
                        ReconnectWindow = Duration(signalrReconnectWindow, hubDefaults.ReconnectWindow),
                    },
                };
                if (parse.GetValue(authKeyEnv) is { } keyEnv && parse.GetValue(authKeyFile) is not null)
                    errors.Add("--auth-key-env: give either --auth-key-env or --auth-key-file, not both");
                else if (parse.GetValue(authKeyEnv) is not null || parse.GetValue(authKeyFile) is not null)
                {
                    var material = SigningKeys.TryReadMaterial(parse.GetValue(authKeyEnv), parse.GetValue(authKeyFile), out var keyError);
                    if (material is null) errors.Add($"{(parse.GetValue(authKeyEnv) is null ? "--auth-key-file" : "--auth-key-env")}: {keyError}");
                    options = options with { AuthKey = material };
                }
                if (errors.Count > 0)
                {
                    foreach (var e in errors) Console.Error.WriteLine($"error: {e}");
                    return ExitCodes.InvalidInput;
                }
                return await TargetCommand.ExecuteAsync(options, parse.GetValue(parentPid), Console.Out, Console.Error, ct);
            });
            return command;
        }

        private static Command SiloCommandDefinition()
        {
            var defaults = new SiloOptions();
            var cluster = new Option<string>("--cluster") { Description = "'localhost', 'redis://HOST:PORT' or 'postgres://USER@HOST:PORT/DATABASE'", DefaultValueFactory = _ => defaults.Cluster };
            var clusterPasswordFile = new Option<string>("--cluster-password-file") { Description = "With --cluster postgres://: file whose first line is the password (default: the URL's, else $PGPASSWORD)" };
            var initSchema = new Option<bool>("--init-schema") { Description = "With --cluster postgres://: apply SimCluster's membership schema before joining (idempotent; same as ./simcluster db init)" };
            var siloPort = new Option<int>("--silo-port") { DefaultValueFactory = _ => defaults.SiloPort, Description = "Silo-to-silo port" }.Whole();
            var gatewayPort = new Option<int>("--gateway-port") { DefaultValueFactory = _ => defaults.GatewayPort, Description = "Client gateway port" }.Whole();
            var httpPort = new Option<int>("--http-port") { DefaultValueFactory = _ => defaults.HttpPort, Description = "Dashboard (/dashboard), health (/health/ready) and control API; 0 = none" }.Whole();
            var primary = new Option<int>("--primary-silo-port") { DefaultValueFactory = _ => defaults.PrimarySiloPort, Description = "localhost clustering: the first silo's port" }.Whole();
            var httpHost = new Option<string>("--http-host") { DefaultValueFactory = _ => defaults.HttpHost, Description = "Address the HTTP port binds (0.0.0.0 = every interface, e.g. in a container)" };
            var tokenFile = new Option<string>("--api-token-file") { Description = "File whose first line is the token the HTTP port requires (default: $SIMCLUSTER_API_TOKEN); required with a non-loopback --http-host" };
            var dataDir = new Option<string>("--data-dir") { DefaultValueFactory = _ => defaults.DataDirectory, Description = "Where runs started through the control API keep their scenario and report" };
            var probeTimeout = new Option<string>("--probe-timeout") { Description = $"Membership's probe timeout (default {Units.FormatDuration(SiloOptions.DefaultProbeTimeout)}; Orleans' own is 5s): shorter finds a lost silo sooner, too short declares a paused one dead (docs/cluster.md)" };
            var noPeerWatch = new Option<bool>("--no-peer-watch") { Description = "Do not declare a peer dead when its silo port refuses connections (its process gone); leave it to membership's probes" };
            var missedProbes = new Option<int>("--missed-probes") { DefaultValueFactory = _ => SiloOptions.DefaultMissedProbes, Description = "Missed probes in a row that make a silo suspected (Orleans' own default is 3)" };
            var deadSiloHold = new Option<string>("--dead-silo-hold") { Description = "How long a silo declared dead keeps its grains (its clients) from being activated elsewhere (default 0s: at once; Orleans' own is about 30s from the failure; docs/cluster.md)" };
            var command = new Command("silo", "Run one silo until SIGTERM or Ctrl-C. Example: ./simcluster silo --cluster redis://127.0.0.1:6379. " +
                                              "Reads ORLEANS_CLUSTER_ID, ORLEANS_SERVICE_ID, POD_IP (advertised address), POD_NAME (silo name), SIMCLUSTER_KUBERNETES_HOSTING, SIMCLUSTER_API_TOKEN, PGPASSWORD.")
            {
                cluster, siloPort, gatewayPort, httpPort, primary, httpHost, tokenFile, dataDir, clusterPasswordFile, initSchema, probeTimeout, missedProbes, noPeerWatch, deadSiloHold,
            };
            command.SetAction((parse, ct) =>
            {
                ApiToken? token;
                try { token = parse.GetValue(tokenFile) is { } file ? ApiToken.FromFile(file) : null; }
                catch (ArgumentException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    return Task.FromResult(ExitCodes.InvalidInput);
                }
                var probe = defaults.ProbeTimeout;
                if (parse.GetValue(probeTimeout) is { } probeText && !Units.TryParseDuration(probeText, out probe, out var probeError))
                {
                    Console.Error.WriteLine($"error: --probe-timeout: {probeError}");
                    return Task.FromResult(ExitCodes.InvalidInput);
                }
                var hold = defaults.DeadSiloHold;
                if (parse.GetValue(deadSiloHold) is { } holdText && !Units.TryParseDuration(holdText, out hold, out var holdError))
                {
                    Console.Error.WriteLine($"error: --dead-silo-hold: {holdError}");
                    return Task.FromResult(ExitCodes.InvalidInput);
                }
                return SiloCommand.ExecuteAsync((defaults with
            {
                ProbeTimeout = probe,
                DeadSiloHold = hold,
                MissedProbes = parse.GetValue(missedProbes),
                PeerWatch = !parse.GetValue(noPeerWatch),
                Token = token,
                DataDirectory = parse.GetValue(dataDir)!,
                Cluster = parse.GetValue(cluster)!,
                ClusterPasswordFile = parse.GetValue(clusterPasswordFile),
                InitSchema = parse.GetValue(initSchema),
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                HttpPort = parse.GetValue(httpPort),
                HttpHost = parse.GetValue(httpHost)!,
                PrimarySiloPort = parse.GetValue(primary),
            }).WithEnvironment(Environment.GetEnvironmentVariable), Console.Out, Console.Error, ct);
            });
            return command;
        }

        private static Command ScenariosCommandDefinition()
        {
            var dir = new Option<string>("--dir") { Description = "Folder of scenario files (default: ./scenarios, or the repository's)" };
            var command = new Command("scenarios", """
                List the shipped scenarios: name, file and what each one does (the file's first comment line).
                Examples:
                  ./simcluster scenarios
                  ./simcluster run scenarios/smoke.yaml
                """) { dir };
            command.SetAction(parse => ReportCommands.Scenarios(parse.GetValue(dir), Console.Out, Console.Error));
            return command;
        }

        private static Command ReportCommandDefinition()
        {
            var dir = new Argument<string?>("DIR") { Description = "Report folder (or its report.json); default: the newest folder under simcluster-reports/", Arity = ArgumentArity.ZeroOrOne };
            var open = new Option<bool>("--open") { Description = "Open report.html in the default browser afterwards" };
            var baseline = new Option<string?>("--baseline") { Description = "A baseline report folder (or report.json): report.html gets a section comparing the two" };
            var command = new Command("report", """
                Re-render report.html and report.junit.xml from a report folder's report.json (a run writes all three).
                Examples:
                  ./simcluster report simcluster-reports/smoke-20260101-120000
                  ./simcluster report --open          # the newest report, opened in a browser
                  ./simcluster report NEW --baseline OLD   # with a section comparing NEW against OLD
                """) { dir, open, baseline };
            command.SetAction(parse => ReportCommands.ReportAsync(parse.GetValue(dir), parse.GetValue(open), Console.Out, Console.Error, parse.GetValue(baseline)));
            var before = new Argument<string>("BASELINE") { Description = "The baseline report folder (or its report.json)" };
            var after = new Argument<string>("CURRENT") { Description = "The report folder to compare with it" };
            var json = new Option<bool>("--json") { Description = "Print the comparison as JSON (simcluster.comparison/v1) instead of a table" };
            var compare = new Command("compare", """
                Compare two runs: every metric and threshold side by side with the change. Prints a table (or --json),
                writes CURRENT/comparison.json and re-renders CURRENT/report.html with a "Compared with the baseline" section.
                Exit 0 without regressions, 99 when a threshold that passed now fails or a graded metric got worse.
                Example:
                  ./simcluster report compare simcluster-reports/flapping-A simcluster-reports/flapping-B
                """) { before, after, json };
            compare.SetAction(parse => ReportCommands.CompareAsync(parse.GetValue(before)!, parse.GetValue(after)!, parse.GetValue(json), Console.Out, Console.Error));
            command.Add(compare);
            return command;
        }

        private static Command SchemaCommandDefinition()
        {
            var command = new Command("schema", """
                Print the JSON Schema of scenario files (draft 2020-12), for editors and CI.
                Examples:
                  ./simcluster schema > schemas/scenario.schema.json
                  # in a scenario file, first line: # yaml-language-server: $schema=../schemas/scenario.schema.json
                """);
            command.SetAction(_ => ReportCommands.Schema(Console.Out));
            return command;
        }

        private static Command MetricsCommandDefinition()
        {
            var command = new Command("metrics", """
                Print every metric's exact definition (Markdown, from the metric table; the same as docs/metrics.md).
                Examples:
                  ./simcluster metrics > docs/metrics.md
                """);
            command.SetAction(_ => Console.Out.Write(SimCluster.Abstractions.Metrics.MetricDocs.Render()));
            return command;
        }

        private static Command DbCommandDefinition()
        {
            Command Sub(string name, string description, bool apply)
            {
                var cluster = new Option<string>("--cluster") { Description = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (postgresql:// too)", Required = true };
                var passwordFile = new Option<string>("--cluster-password-file") { Description = "File whose first line is the password (default: the URL's, else $PGPASSWORD)" };
                var command = new Command(name, description) { cluster, passwordFile };
                command.SetAction((parse, ct) => DbCommand.ExecuteAsync(apply, parse.GetValue(cluster)!, parse.GetValue(passwordFile), Console.Out, Console.Error, ct));
                return command;
            }
            return new Command("db", "The membership database of a PostgreSQL cluster (--cluster postgres://...).")
            {
                Sub("init", "Create SimCluster's Orleans membership schema (tables and the queries the ADO.NET clustering provider runs); idempotent. " +
                            "Example: ./simcluster db init --cluster postgres://simcluster@127.0.0.1:5432/simcluster", apply: true),
                Sub("check", "Check that the server answers and the membership schema is complete; changes nothing.", apply: false),
            };
        }

        private static Command VersionCommandDefinition()
        {
            var command = new Command("version", "Print the version (the same as --version).");
            command.SetAction(_ =>
            {
                Console.WriteLine(VersionText);
                return 0;
            });
            return command;
        }

        /// <summary>"simcluster 0.1.0+e318ec6": the version and, when built from a checkout, its commit; `version` and `--version` both print it.</summary>
        public static string VersionText { get; } = Version();

        private static string Version()
        {
            var version = typeof(SimClusterCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            var plus = version.IndexOf('+');
            return $"simcluster {(plus < 0 ? version : version[..Math.Min(version.Length, plus + 8)])}";
        }

        private sealed class PrintVersion : System.CommandLine.Invocation.SynchronousCommandLineAction
        {
            public override int Invoke(ParseResult parseResult)
            {
                Console.WriteLine(VersionText);
                return 0;
            }
        }
    }
}
