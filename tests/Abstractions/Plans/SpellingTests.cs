using SimCluster.Abstractions.Plans;

namespace SimCluster.Tests.Abstractions.Plans;

[Trait("Category", "Unit")]
public sealed class SpellingTests
{
    [Fact]
    public void The_plan_enums_are_spelt_as_scenario_files_write_them()
    {
        Assert.Equal(["echo", "session", "none", "signalr", "json", "socketio", "graphql-ws"], Spelling.NamesOf<ProtocolKind>());
        Assert.Equal(["websocket-client", "lean"], Spelling.NamesOf<ClientDriver>());
        Assert.Equal(["close", "reset", "blackhole"], Spelling.NamesOf<DropMode>());
        Assert.Equal(["break-before-make", "make-before-break"], Spelling.NamesOf<SwitchMode>());
        Assert.Equal(["blackhole", "reset", "fin"], Spelling.NamesOf<OldPathFate>());
        Assert.Equal(["none", "equal", "full"], Spelling.NamesOf<JitterKind>());
        Assert.Equal(["in-band", "reconnect", "none"], Spelling.NamesOf<RefreshMode>());
        Assert.Equal(["query", "header", "protocol"], Spelling.NamesOf<TokenPlacement>());
        Assert.Equal(["minted", "url"], Spelling.NamesOf<TokenSourceKind>());
    }

    [Fact]
    public void Every_spelling_parses_back_to_its_value()
    {
        foreach (var (name, value) in Spelling.All<SwitchMode>()) Assert.Equal(value, Spelling.Parse<SwitchMode>(name));
        foreach (var (name, value) in Spelling.All<RefreshMode>()) Assert.Equal(name, value.Spelled());
    }

    [Fact]
    public void An_unknown_spelling_is_refused_naming_it_and_the_valid_ones()
    {
        Assert.False(Spelling.TryParse<DropMode>("Reset", out _)); // case matters, as in scenario files
        var error = Assert.Throws<ArgumentException>(() => Spelling.Parse<OldPathFate>("rst"));
        Assert.Contains("'rst'", error.Message);
        Assert.Contains("blackhole, reset, fin", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ((DropMode)42).Spelled());
    }

    [Theory]
    [InlineData("WaitingToReconnect", "waiting-to-reconnect")]
    [InlineData("Open", "open")]
    [InlineData("InBand", "in-band")]
    public void Kebab_case_splits_before_each_capital(string name, string kebab) => Assert.Equal(kebab, Spelling.Kebab(name));
}
