namespace SimCluster.Transport;

/// <summary>Why a connection could not be opened, in categories a report can count.</summary>
public enum ConnectFailure
{
    Refused,
    Timeout,
    Unreachable,
    /// <summary>The server answered the upgrade with a status other than 101.</summary>
    HttpStatus,
    /// <summary>101, but the upgrade headers or the accept key were wrong.</summary>
    BadUpgrade,
    /// <summary>The response header block was larger than allowed or not HTTP at all.</summary>
    BadResponse,
    /// <summary>The server closed or reset the connection during the upgrade.</summary>
    ClosedDuringHandshake,
    Tls,
    /// <summary>Not attempted: the address the host resolved to is off loopback and not allow-listed (<see cref="EgressRule"/>).</summary>
    Egress,
    /// <summary>101 without a subprotocol, though the scenario's <c>connect.subprotocols</c> asked for one.</summary>
    NoSubprotocol,
    /// <summary>101 with a subprotocol the client did not offer (RFC 6455 4.1: the client fails the connection).</summary>
    UnofferedSubprotocol,
    /// <summary>A secret of the <c>connect:</c> block (an environment variable or file this silo reads) could not be had.</summary>
    SecretUnavailable,
    Other,
}

public sealed class ConnectFailedException(ConnectFailure failure, string message, int? httpStatus = null, Exception? inner = null)
    : Exception(message, inner)
{
    public ConnectFailure Failure { get; } = failure;
    public int? HttpStatus { get; } = httpStatus;

    /// <summary>Short label for reports: <c>refused</c>, <c>timeout</c>, <c>http-403</c>, ...</summary>
    public string Label => Failure == ConnectFailure.HttpStatus && HttpStatus is { } s
        ? $"http-{s}"
        : Failure switch
        {
            ConnectFailure.ClosedDuringHandshake => "closed-during-handshake",
            ConnectFailure.BadUpgrade => "bad-upgrade",
            ConnectFailure.BadResponse => "bad-response",
            ConnectFailure.Egress => "egress-refused",
            ConnectFailure.NoSubprotocol => "no-subprotocol",
            ConnectFailure.UnofferedSubprotocol => "unoffered-subprotocol",
            ConnectFailure.SecretUnavailable => "secret-unavailable",
            _ => Failure.ToString().ToLowerInvariant(),
        };
}
