namespace SimCluster.Abstractions.Plans;

/// <summary>
/// <c>protocol: json</c>, as the scenario describes it: the request template, how a reply names its request, what an
/// error reply looks like, the optional app-level heartbeat, server pushes and the in-band refresh frames.
/// Paths and patterns are checked by the validator; the protocol compiles them once per plan.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JsonPlan
{
    /// <summary>The request frame: <c>{seq}</c>, <c>{ts}</c> (UTC ms), <c>{client}</c> (the client index) and <c>{body}</c> (padding to messages.size) filled in.</summary>
    [Id(0)] public required string Send { get; init; }
    /// <summary>Where a reply carries its request's <c>{seq}</c>: a path, or a regex whose first group captures it.</summary>
    [Id(1)] public required JsonMatchPlan Correlate { get; init; }
    /// <summary>A reply that matches this is an error reply (messages_failed); null: every correlated reply is received.</summary>
    [Id(2)] public JsonMatchPlan? Error { get; init; }
    /// <summary>The app-level ping frame (<c>{ts}</c>, <c>{seq}</c>, <c>{client}</c> filled in); null: no app-level heartbeat.</summary>
    [Id(3)] public string? HeartbeatSend { get; init; }
    /// <summary>With <see cref="HeartbeatSend"/>: a frame that matches this is the pong.</summary>
    [Id(4)] public JsonMatchPlan? HeartbeatExpect { get; init; }
    /// <summary>A frame that matches this (and is no reply) is a server push; null: pushes are not counted.</summary>
    [Id(5)] public JsonMatchPlan? PushFilter { get; init; }
    /// <summary>With <see cref="PushFilter"/>: the path of the push's sequence number (loss, duplicates, reordering); null: counted only.</summary>
    [Id(6)] public string? PushSequence { get; init; }
    /// <summary>In-band refresh: the frame with <c>{token}</c>; null: none from this block.</summary>
    [Id(7)] public string? RefreshMessage { get; init; }
    /// <summary>With <see cref="RefreshMessage"/>: a frame containing this acknowledges the refresh.</summary>
    [Id(8)] public string? RefreshExpect { get; init; }
    /// <summary>With <see cref="RefreshMessage"/>: a frame containing this rejects it (optional).</summary>
    [Id(9)] public string? RefreshReject { get; init; }
}

/// <summary>
/// A test on a text frame: a JSON path (<c>re</c>, <c>result.id</c>, <c>items[0].id</c>, an optional leading <c>$.</c>)
/// that must exist and, with <see cref="Value"/>, equal it (a string's text or a number/literal's JSON text); or a
/// regular expression (where a value is read, from its first capture group).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JsonMatchPlan
{
    [Id(0)] public string? Path { get; init; }
    [Id(1)] public string? Value { get; init; }
    [Id(2)] public string? Regex { get; init; }
}
