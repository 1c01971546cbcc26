using SimCluster.Tests.Support;
using SimCluster.Transport.Malformed;
using SimCluster.Transport.Malformed.Cases;

namespace SimCluster.Tests.Malformed;

/// <summary>
/// Each family of cases against three servers: the reference target (our showcase: every case OK), Node's
/// <c>ws</c> (an independent strict library: its verdicts, each explained) and a deliberately lax server
/// (FAILED or NON-STRICT wherever it tolerates garbage). Cases of a family run concurrently, each on its own
/// connections, like attackers do.
/// </summary>
public abstract class CaseFamilyTests(ReferenceTargetPeer reference, NodeWsPeer ws, LaxPeer lax)
    : IClassFixture<ReferenceTargetPeer>, IClassFixture<NodeWsPeer>, IClassFixture<LaxPeer>
{
    protected ReferenceTargetPeer Reference => reference;

    protected static Dictionary<string, Verdict> All(Verdict verdict, params string[] ids) => ids.ToDictionary(id => id, _ => verdict);

    protected static Dictionary<string, Verdict> With(Dictionary<string, Verdict> table, params (string Id, Verdict Verdict)[] changes)
    {
        var copy = new Dictionary<string, Verdict>(table);
        foreach (var (id, verdict) in changes) copy[id] = verdict;
        return copy;
    }

    protected Task<IReadOnlyDictionary<string, (CaseRun Run, SimCluster.Grains.Attacks.CaseGrade Grade)>> AgainstReference(Dictionary<string, Verdict> table) =>
        CaseHarness.ExpectAsync(reference.Uri, table);

    protected Task AgainstWs(Dictionary<string, Verdict> table) => CaseHarness.ExpectAsync(ws.Uri, table);

    protected Task<IReadOnlyDictionary<string, (CaseRun Run, SimCluster.Grains.Attacks.CaseGrade Grade)>> AgainstLax(Dictionary<string, Verdict> table) =>
        CaseHarness.ExpectAsync(lax.Uri, table);
}

/// <summary>Framing: RSV bits, opcodes, masking, control frames, fragmentation, length encodings (F01-F10, F19, F20).</summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FramingCaseTests(ReferenceTargetPeer reference, NodeWsPeer ws, LaxPeer lax) : CaseFamilyTests(reference, ws, lax)
{
    private static readonly string[] Ids = ["F01", "F02", "F03", "F04", "F05", "F06", "F07", "F08", "F09", "F10", "F19", "F20"];

    [Fact]
    public async Task The_reference_target_fails_every_framing_violation_with_1002_and_accepts_the_positive_case()
    {
        var results = await AgainstReference(All(Verdict.Ok, Ids));
        Assert.Contains("echoed it", results["F10"].Grade.Observed);
        Assert.All(Ids.Except(["F10"]), id => Assert.StartsWith("close 1002", results[id].Grade.Observed));
    }

    /// <summary>
    /// ws fails every violation with 1002, except: a 64-bit length with the top bit set, which it rejects as
    /// too big (1009 instead of 1002), and a non-minimal length encoding, which it accepts (NON-STRICT).
    /// </summary>
    [Fact]
    public Task Node_ws_is_strict_except_on_length_encodings() =>
        AgainstWs(With(All(Verdict.Ok, Ids), ("F19", Verdict.WrongCode), ("F20", Verdict.NonStrict)));

    /// <summary>The lax server echoes every bad frame (FAILED); it waits forever on a 2^63-byte length (TIMEOUT).</summary>
    [Fact]
    public async Task A_lax_server_fails_every_framing_case()
    {
        var results = await AgainstLax(With(All(Verdict.Failed, Ids), ("F10", Verdict.Ok), ("F19", Verdict.Timeout), ("F20", Verdict.NonStrict)));
        Assert.Contains("RSV bits 0x4", results["F01"].Grade.Observed); // its echo breaks the RFC itself, and the report says so
    }
}

/// <summary>UTF-8 in text messages: invalid sequences (F11), fail-fast on a fragment (F12), unusual but valid text (F13).</summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class Utf8CaseTests(ReferenceTargetPeer reference, NodeWsPeer ws, LaxPeer lax) : CaseFamilyTests(reference, ws, lax)
{
    private static readonly string[] Ids = ["F11", "F12", "F13"];

    [Fact]
    public async Task The_reference_target_fails_invalid_UTF8_on_the_offending_fragment_and_echoes_valid_text()
    {
        var results = await AgainstReference(All(Verdict.Ok, Ids));
        Assert.Equal(5, results["F11"].Run.Observations.Count(o => o.CloseCode == 1007));
        Assert.False(results["F12"].Run.Observations[0].Late);
    }

    /// <summary>ws validates a text message when it is complete, so F12 fails only after the last fragment: NON-STRICT.</summary>
    [Fact]
    public Task Node_ws_validates_UTF8_at_the_end_of_the_message() => AgainstWs(With(All(Verdict.Ok, Ids), ("F12", Verdict.NonStrict)));

    [Fact]
    public Task A_lax_server_echoes_invalid_UTF8() => AgainstLax(With(All(Verdict.Failed, Ids), ("F13", Verdict.Ok)));
}

/// <summary>Close handling: broken Close frames (F14-F17) and data after a Close (F18).</summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CloseHandlingCaseTests(ReferenceTargetPeer reference, NodeWsPeer ws, LaxPeer lax) : CaseFamilyTests(reference, ws, lax)
{
    private static readonly string[] Ids = ["F14", "F15", "F16", "F17", "F18"];

    [Fact]
    public async Task The_reference_target_answers_broken_closes_with_1002_and_ignores_data_after_a_close()
    {
        var results = await AgainstReference(All(Verdict.Ok, Ids));
        var f18 = results["F18"].Run.Observations[0];
        Assert.Equal(1000, f18.CloseCode);
        Assert.True(f18.CleanClose, "after the close handshake the server closes TCP (FIN)");
        Assert.False(f18.DataAfterClose);
    }

    [Fact]
    public Task Node_ws_handles_every_close_case() => AgainstWs(All(Verdict.Ok, Ids));

    /// <summary>The lax server echoes every Close as it came: wrong codes; it ends at the first Close, so F18 passes.</summary>
    [Fact]
    public Task A_lax_server_echoes_broken_closes() => AgainstLax(With(All(Verdict.WrongCode, Ids), ("F18", Verdict.Ok)));
}

/// <summary>Limits: a terabyte frame header (F21), endless fragments (F22), a deflate bomb (F23), a PING flood (F25), a message flood (A08).</summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LimitCaseTests(ReferenceTargetPeer reference, NodeWsPeer ws, LaxPeer lax) : CaseFamilyTests(reference, ws, lax)
{
    private static readonly string[] Ids = ["F21", "F22", "F23", "F25:" + F25SlowAndFlood.PingFlood, "A08"];

    [Fact]
    public async Task The_reference_target_enforces_every_limit()
    {
        var results = await AgainstReference(All(Verdict.Ok, Ids));
        var f21 = results["F21"].Run.Observations[0];
        Assert.Equal(1009, f21.CloseCode);
        // Nothing follows the header's few payload bytes: a 1009 can only have come from the announced length.
        Assert.Equal(1008, results["F22"].Run.Observations[0].CloseCode);
        Assert.True(results["F23"].Grade.Applicable, "the reference target negotiates permessage-deflate, so the bomb applies");
        Assert.Equal(1009, results["F23"].Run.Observations[0].CloseCode);
    }

    /// <summary>ws has limits for all of these (maxPayload, maxFragments, maxPendingAutoPongs), but ends a PING flood by a plain TCP close: UNCLEAN.</summary>
    [Fact]
    public Task Node_ws_enforces_limits_but_drops_a_ping_flood_without_a_close_frame() =>
        AgainstWs(With(All(Verdict.Ok, Ids), ("F25:" + F25SlowAndFlood.PingFlood, Verdict.Unclean)));

    /// <summary>No limits at all: it waits for the terabyte (TIMEOUT), takes every fragment and PING (NON-STRICT), never negotiates deflate (F23 NOT-APPLICABLE).</summary>
    [Fact]
    public async Task A_lax_server_has_no_limits()
    {
        var results = await AgainstLax(With(All(Verdict.NonStrict, Ids), ("F21", Verdict.Timeout), ("F23", Verdict.NotApplicable), ("A08", Verdict.Ok)));
        Assert.False(results["F23"].Grade.Applicable);
    }
}

/// <summary>Handshakes: broken upgrade requests (F24), a slow and a silent one (F25).</summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HandshakeCaseTests(ReferenceTargetPeer reference, NodeWsPeer ws, LaxPeer lax) : CaseFamilyTests(reference, ws, lax)
{
    private static readonly string[] Ids = ["F24", $"F25:{F25SlowAndFlood.SlowHandshake}|{F25SlowAndFlood.Silent}"];

    [Fact]
    public async Task The_reference_target_rejects_broken_handshakes_with_the_right_status_and_drops_stalled_ones()
    {
        var results = await AgainstReference(All(Verdict.Ok, Ids));
        Assert.Equal([431, 400, 426, 400], results["F24"].Run.Observations.Select(o => o.HttpStatus ?? 0));
        var probe = await ServerProbe.CheckAsync(CaseHarness.Context(Reference.Uri).Connect, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.True(probe.Accepted, $"the target must keep serving after broken handshakes: {probe.Detail}");
    }

    /// <summary>ws still accepts draft version 8 (hybi-08): NON-STRICT; the rest is rejected as the RFC says.</summary>
    [Fact]
    public Task Node_ws_accepts_version_8() => AgainstWs(With(All(Verdict.Ok, Ids), ("F24", Verdict.NonStrict)));

    [Fact]
    public Task A_lax_server_upgrades_anything_and_never_times_out() =>
        AgainstLax(With(All(Verdict.Failed, Ids), (Ids[1], Verdict.Timeout)));
}

/// <summary>Application-level mutations in valid frames (A01-A07): an echo server keeps serving.</summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AppLevelCaseTests(ReferenceTargetPeer reference, NodeWsPeer ws, LaxPeer lax) : CaseFamilyTests(reference, ws, lax)
{
    private static readonly string[] Ids = ["A01", "A02", "A03", "A04", "A05", "A06", "A07"];

    [Fact]
    public async Task The_reference_target_keeps_serving()
    {
        var results = await AgainstReference(All(Verdict.Ok, Ids));
        Assert.All(results.Values, r => Assert.Equal(Reaction.Answered, r.Run.Observations[0].Reaction));
    }

    [Fact]
    public Task Node_ws_keeps_serving() => AgainstWs(All(Verdict.Ok, Ids));

    [Fact]
    public Task A_lax_server_keeps_serving() => AgainstLax(All(Verdict.Ok, Ids));
}
