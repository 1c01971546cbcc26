using SimCluster.Grains.Attacks;
using SimCluster.Transport.Malformed;
using SimCluster.Transport.Malformed.Cases;

namespace SimCluster.Tests.Malformed;

/// <summary>The grader is a pure function: every verdict, for every kind of expectation, from hand-made observations.</summary>
[Trait("Category", "Unit")]
public sealed class GraderTests
{
    private static Observation Closed(int? code, bool clean = true) => new() { Reaction = Reaction.Closed, CloseCode = code, CleanClose = clean };
    private static Observation Dropped(bool reset = false) => new() { Reaction = Reaction.Dropped, ByReset = reset };
    private static readonly Observation Silent = new() { Reaction = Reaction.Silent, Elapsed = TimeSpan.FromSeconds(3) };
    private static readonly Observation Answered = new() { Reaction = Reaction.Answered, Tolerated = true };
    private static Observation Http(int status, bool headerMissing = false) => new() { Reaction = Reaction.Http, HttpStatus = status, HttpHeaderMissing = headerMissing };

    private static void Grades(Verdict expected, Expectation expectation, Observation observation) =>
        Assert.True(expected == CaseGrader.Grade(expectation, observation),
            $"{expectation.Describe()} + {observation.Describe()}: expected {expected.Name()}, got {CaseGrader.Grade(expectation, observation).Name()}");

    [Fact]
    public void Failing_the_connection_with_the_expected_code_is_OK()
    {
        Grades(Verdict.Ok, Expectation.Fail(1002), Closed(1002));
        Grades(Verdict.Ok, Expectation.Fail(1002), Closed(1002, clean: false)); // a TCP teardown by RST does not change the verdict
        Grades(Verdict.Ok, Expectation.FailOrDrop(1002, 1007), Closed(1007));
    }

    [Fact]
    public void Another_close_code_is_WRONG_CODE()
    {
        Grades(Verdict.WrongCode, Expectation.Fail(1002), Closed(1000));
        Grades(Verdict.WrongCode, Expectation.Fail(1002), Closed(null));
        Grades(Verdict.WrongCode, Expectation.FailOrDrop(1002), Closed(1005));
    }

    [Fact]
    public void A_TCP_drop_without_a_close_frame_is_UNCLEAN_unless_the_RFC_allows_dropping()
    {
        Grades(Verdict.Unclean, Expectation.Fail(1002), Dropped());
        Grades(Verdict.Unclean, Expectation.Fail(1007), Dropped(reset: true));
        Grades(Verdict.Ok, Expectation.FailOrDrop(1002), Dropped());
    }

    [Fact]
    public void Accepting_or_echoing_garbage_is_FAILED_and_tolerance_where_the_RFC_leaves_room_is_NON_STRICT()
    {
        Grades(Verdict.Failed, Expectation.Fail(1002), Answered);
        Grades(Verdict.Failed, Expectation.Fail(1002), Closed(1002) with { Tolerated = true });  // echoed the garbage, then closed
        Grades(Verdict.Failed, Expectation.Fail(1002), Closed(1000) with { Tolerated = true });
        Grades(Verdict.Failed, Expectation.Fail(1002), Dropped() with { Tolerated = true });
        var lenient = Expectation.Fail(1002) with { WhenTolerated = Verdict.NonStrict };
        Grades(Verdict.NonStrict, lenient, Answered);
        Grades(Verdict.WrongCode, lenient, Closed(1000) with { Tolerated = true });
    }

    [Fact]
    public void Failing_late_or_before_the_expected_echo_is_NON_STRICT()
    {
        Grades(Verdict.NonStrict, Expectation.Fail(1007), Closed(1007) with { Late = true });
        Grades(Verdict.NonStrict, Expectation.Fail(1002), Closed(1002) with { MissingExpectedEcho = true });
        Grades(Verdict.NonStrict, Expectation.FailOrDrop(1002), Dropped() with { Late = true });
    }

    [Fact]
    public void No_reaction_is_TIMEOUT_for_every_kind()
    {
        Grades(Verdict.Timeout, Expectation.Fail(1002), Silent);
        Grades(Verdict.Timeout, Expectation.Accept(), Silent);
        Grades(Verdict.Timeout, Expectation.CleanClose(1000), Silent);
        Grades(Verdict.Timeout, Expectation.Http(400), Silent);
        Grades(Verdict.Timeout, Expectation.Survive(), Silent);
        Grades(Verdict.Timeout, Expectation.Limit(1009), Silent);
        Grades(Verdict.Timeout, Expectation.GiveUpHandshake(), Silent);
    }

    [Fact]
    public void Valid_input_must_come_back_exactly_and_any_rejection_is_a_false_positive()
    {
        var echoed = new Observation { Reaction = Reaction.Answered };
        Grades(Verdict.Ok, Expectation.Accept(), echoed);
        Grades(Verdict.NonStrict, Expectation.Accept(), echoed with { PongLate = true });
        Grades(Verdict.Failed, Expectation.Accept(), echoed with { EchoMismatch = true });
        Grades(Verdict.Failed, Expectation.Accept(), echoed with { PongMissing = true });
        Grades(Verdict.Failed, Expectation.Accept(), Closed(1007));
        Grades(Verdict.Failed, Expectation.Accept(), Dropped());
    }

    [Fact]
    public void The_close_handshake_must_complete_and_ignore_data_after_the_close()
    {
        var expectation = Expectation.CleanClose(1000);
        Grades(Verdict.Ok, expectation, Closed(1000));
        Grades(Verdict.NonStrict, expectation, Closed(1000, clean: false));
        Grades(Verdict.Failed, expectation, Closed(1000) with { DataAfterClose = true });
        Grades(Verdict.WrongCode, expectation, Closed(1002));
        Grades(Verdict.Unclean, expectation, Dropped());
    }

    [Fact]
    public void A_broken_handshake_must_get_an_HTTP_error_never_101()
    {
        Grades(Verdict.Ok, Expectation.Http(400, 431), Http(431));
        Grades(Verdict.WrongCode, Expectation.Http(400), Http(500));
        Grades(Verdict.Failed, Expectation.Http(400), Http(101));
        Grades(Verdict.Unclean, Expectation.Http(400), Dropped());
        var version = Expectation.Http(426) with { RequiredHeader = ("Sec-WebSocket-Version", "13"), WhenTolerated = Verdict.NonStrict };
        Grades(Verdict.Ok, version, Http(426));
        Grades(Verdict.NonStrict, version, Http(426, headerMissing: true));
        Grades(Verdict.NonStrict, version, Http(101));
        Grades(Verdict.Failed, Expectation.Http(400), new Observation { Reaction = Reaction.Http, Detail = "not an HTTP response" });
    }

    [Fact]
    public void Application_garbage_may_be_served_or_closed_with_a_policy_code()
    {
        Grades(Verdict.Ok, Expectation.Survive(), new Observation { Reaction = Reaction.Answered });
        Grades(Verdict.Ok, Expectation.Survive(), Closed(1008));
        Grades(Verdict.Ok, Expectation.Survive(), Closed(4400));
        Grades(Verdict.WrongCode, Expectation.Survive(), Closed(1011));
        Grades(Verdict.Unclean, Expectation.Survive(), Dropped(reset: true));
    }

    [Fact]
    public void Limits_close_with_the_code_and_serving_on_regardless_is_NON_STRICT()
    {
        Grades(Verdict.Ok, Expectation.Limit(1009, 1008), Closed(1008));
        Grades(Verdict.NonStrict, Expectation.Limit(1009), Closed(1009) with { Late = true });
        Grades(Verdict.NonStrict, Expectation.Limit(1009), Answered);
        Grades(Verdict.WrongCode, Expectation.Limit(1009), Closed(1002));
        Grades(Verdict.Unclean, Expectation.Limit(1008), Dropped());
    }

    [Fact]
    public void A_stalled_handshake_must_be_dropped_before_the_deadline()
    {
        Grades(Verdict.Ok, Expectation.GiveUpHandshake(), Dropped());
        Grades(Verdict.Ok, Expectation.GiveUpHandshake(), Http(408));
        Grades(Verdict.Failed, Expectation.GiveUpHandshake(), Http(101));
        Grades(Verdict.WrongCode, Expectation.GiveUpHandshake(), Http(200));
    }

    [Fact]
    public void A_case_that_does_not_apply_is_NOT_APPLICABLE_not_NON_STRICT()
    {
        var notApplicable = new Observation { Reaction = Reaction.NotApplicable, Detail = "the server did not negotiate permessage-deflate" };
        Grades(Verdict.NotApplicable, Expectation.Limit(1009), notApplicable);
        var grade = CaseGrader.Grade(CaseCatalogue.Get("F23"), [notApplicable]);
        Assert.Equal(Verdict.NotApplicable, grade.Verdict);
        Assert.Equal("NOT-APPLICABLE", grade.Verdict.Name());
        Assert.False(grade.Applicable);
        Assert.Contains("not applicable", grade.Observed);
        // Graded at all, a case takes that grade: not applicable is the mildest verdict.
        Assert.Equal(Verdict.Ok, Verdicts.Worst(Verdict.NotApplicable, Verdict.Ok));
    }

    [Fact]
    public void F05_an_unmasked_frame_may_be_answered_by_a_drop_as_RFC_6455_5_1_allows()
    {
        var f05 = CaseCatalogue.Get("F05");
        Assert.Equal("close 1002 or drop", f05.Expected.Describe());
        Assert.Equal(Verdict.Ok, CaseGrader.Grade(f05, [Dropped()]).Verdict);
        Assert.Equal(Verdict.Ok, CaseGrader.Grade(f05, [Dropped(reset: true)]).Verdict);
        Assert.Equal(Verdict.Ok, CaseGrader.Grade(f05, [Closed(1002)]).Verdict);
        Assert.Equal(Verdict.WrongCode, CaseGrader.Grade(f05, [Closed(1000)]).Verdict);
        Assert.Equal(Verdict.Failed, CaseGrader.Grade(f05, [Answered]).Verdict);
    }

    [Fact]
    public void Variants_merge_into_the_worst_verdict_observed_as_its_variant_saw_it()
    {
        var f17 = CaseCatalogue.Get("F17");
        var grade = CaseGrader.Grade(f17,
        [
            Closed(1002) with { Variant = "0" },
            Closed(1000) with { Variant = "1005" },
            Dropped() with { Variant = "2999" },
        ]);
        Assert.Equal(Verdict.WrongCode, grade.Verdict);
        Assert.StartsWith("[1005] close 1000", grade.Observed);

        var same = CaseGrader.Grade(f17, [Closed(1002) with { Variant = "0" }, Closed(1002) with { Variant = "999" }]);
        Assert.Equal(Verdict.Ok, same.Verdict);
        Assert.Equal("close 1002 (all 2 variants)", same.Observed);
    }

    [Fact]
    public void Each_variant_is_graded_against_its_own_expectation()
    {
        var f24 = CaseCatalogue.Get("F24");
        var grade = CaseGrader.Grade(f24,
        [
            Http(431) with { Variant = F24BrokenHandshake.ManyHeaders },
            Http(400) with { Variant = F24BrokenHandshake.NoKey },
            Http(426) with { Variant = F24BrokenHandshake.Version8 },
            Http(400) with { Variant = F24BrokenHandshake.NoUpgrade },
        ]);
        Assert.Equal(Verdict.Ok, grade.Verdict);
        Assert.Equal(Verdict.WrongCode, CaseGrader.Grade(f24, [Http(400) with { Variant = F24BrokenHandshake.Version8 }]).Verdict);
    }

    [Fact]
    public void Verdict_names_and_severity_order_are_the_contracts()
    {
        Assert.Equal(["NOT-APPLICABLE", "OK", "NON-STRICT", "WRONG-CODE", "UNCLEAN", "FAILED", "TIMEOUT"], Verdicts.All.Select(v => v.Name()));
        foreach (var v in Verdicts.All) Assert.Equal(v, Verdicts.Parse(v.Name()));
        Assert.Equal(Verdict.Failed, Verdicts.Worst(Verdict.Failed, Verdict.Unclean));
    }

    [Fact]
    public void A_protocol_session_closed_with_any_code_or_dropped_is_OK_and_serving_on_is_FAILED()
    {
        var any = Expectation.CloseAnyOrDrop();
        Grades(Verdict.Ok, any, Closed(null));
        Grades(Verdict.Ok, any, Closed(4400));
        Grades(Verdict.Ok, any, Dropped());
        Grades(Verdict.NonStrict, any, Closed(null) with { Late = true });
        Grades(Verdict.Failed, any, Answered);
        Grades(Verdict.Timeout, any, Silent);
    }

    [Fact]
    public void An_in_band_error_reply_is_OK_silence_about_it_NON_STRICT_and_a_close_WRONG_CODE()
    {
        var reply = Expectation.Reply("CONNECT_ERROR");
        Grades(Verdict.Ok, reply, Answered with { ErrorReplied = true });
        Grades(Verdict.NonStrict, reply, Answered);
        Grades(Verdict.WrongCode, reply, Closed(null));
        Grades(Verdict.Unclean, reply, Dropped());
        Grades(Verdict.Timeout, reply, Silent);
        Assert.Equal("answer CONNECT_ERROR, keep serving", reply.Describe());
    }
}
