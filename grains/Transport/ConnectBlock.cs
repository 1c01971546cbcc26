using System.Collections.Concurrent;
using System.Net.Security;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Security;

namespace SimCluster.Transport;

/// <summary>
/// One client's <c>connect:</c> block (<see cref="ConnectPlan"/>), applied to the options of every connection it
/// opens, whatever the protocol and driver: the subprotocols offered after the protocol's own (and the server's
/// choice then required), the extra headers and Origin, and the query parameters appended to the target (so a
/// SignalR negotiate, which starts from the target, carries them too). Literal values are templates filled per
/// connect: <c>{client}</c> the client's index, <c>{seq}</c> the number of this connect attempt (1, 2, ...),
/// <c>{ts}</c> its time (UTC ms). With <c>caFile</c>, a <c>wss://</c> server's certificate must chain to those CAs
/// (<see cref="PrivateRoots"/>) instead of the system's. Secrets are read on first use, once per process; one that cannot be had fails the
/// attempt as a classified connect failure (<c>secret-unavailable</c>), and no message ever holds its value.
/// </summary>
public sealed class ConnectBlock
{
    private static readonly ConcurrentDictionary<(ConnectValueSource, string), string> Secrets = new();

    private readonly int _client;
    private readonly string[] _subProtocols;
    private readonly (string Name, Value Value)[] _headers;
    private readonly (string Name, Value Value)[] _query;
    private readonly RemoteCertificateValidationCallback? _trust;

    private ConnectBlock(ConnectPlan plan, int client)
    {
        _client = client;
        _subProtocols = plan.SubProtocols;
        _headers = [.. (plan.Origin is { } origin ? [new ConnectParameterPlan { Name = "Origin", Value = origin }] : Array.Empty<ConnectParameterPlan>())
            .Concat(plan.Headers).Select(h => (h.Name, new Value(h.Value)))];
        _query = [.. plan.Query.Select(q => (q.Name, new Value(q.Value)))];
        _trust = plan.TrustedCaPem is { } pem ? PrivateRoots.For(pem) : null;
    }

    /// <summary>The block for client <paramref name="client"/>; null when the plan sets nothing.</summary>
    public static ConnectBlock? For(ConnectPlan plan, int client) => plan.IsEmpty ? null : new ConnectBlock(plan, client);

    /// <summary>The options of connect attempt <paramref name="attempt"/> (1-based) at <paramref name="unixMs"/>. Throws <see cref="ConnectFailedException"/>.</summary>
    public ConnectOptions Apply(ConnectOptions options, long attempt, long unixMs)
    {
        var applied = _subProtocols.Length == 0 ? options : options.Offer(_subProtocols) with { RequireSubProtocol = true };
        if (_trust is not null) applied = applied with { ServerCertificateValidation = _trust };
        if (_headers.Length > 0)
        {
            var headers = new List<KeyValuePair<string, string>>(options.Headers.Count + _headers.Length);
            headers.AddRange(options.Headers);
            foreach (var (name, value) in _headers)
            {
                var text = value.Resolve(attempt, unixMs, _client, name);
                if (!ConnectRules.IsHeaderValue(text))
                    throw new ConnectFailedException(ConnectFailure.SecretUnavailable, $"the value of header {name} ({value.Where}) contains a line break or another control character");
                headers.Add(new(name, text));
            }
            applied = applied with { Headers = headers };
        }
        if (_query.Length > 0)
        {
            var target = new UriBuilder(applied.Target);
            var query = new System.Text.StringBuilder(target.Query.TrimStart('?'));
            foreach (var (name, value) in _query)
            {
                if (query.Length > 0) query.Append('&');
                query.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value.Resolve(attempt, unixMs, _client, name)));
            }
            target.Query = query.ToString();
            applied = applied with { Target = target.Uri };
        }
        return applied;
    }

    /// <summary>A literal template, or a secret read once per process.</summary>
    private sealed class Value(ConnectValuePlan plan)
    {
        private readonly JsonTemplate? _template = plan.Source == ConnectValueSource.Literal ? new JsonTemplate(plan.Text) : null;

        /// <summary>Where the value comes from, for messages (never the value itself).</summary>
        public string Where => plan.Source switch
        {
            ConnectValueSource.Env => $"from environment variable {plan.Text}",
            ConnectValueSource.File => $"from file {plan.Text}",
            _ => "from the scenario",
        };

        public string Resolve(long attempt, long unixMs, int client, string name)
        {
            if (_template is not null) return _template.Fill(attempt, unixMs, client, 0);
            if (Secrets.TryGetValue((plan.Source, plan.Text), out var known)) return known;
            var read = SecretReference.TryRead(plan.Source == ConnectValueSource.Env ? plan.Text : null, plan.Source == ConnectValueSource.File ? plan.Text : null, out var error, "secret");
            if (read is null) throw new ConnectFailedException(ConnectFailure.SecretUnavailable, $"connect value {name}: {error}");
            // A file's value is a line: the line break an editor leaves at its end is no part of it.
            return Secrets.GetOrAdd((plan.Source, plan.Text), plan.Source == ConnectValueSource.File ? read.TrimEnd('\r', '\n') : read);
        }
    }
}
