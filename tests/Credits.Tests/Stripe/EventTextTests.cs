using System.Text;
using Credits.Stripe;

namespace Credits.Tests.Stripe;

/// <summary>Where EventText finds text that is not valid Unicode, and what it lets through.</summary>
public sealed class EventTextTests
{
    private static EventText.Invalid? Find(string json) => EventText.FindInvalid(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("""{"data":{"object":{"line_items":{"data":[{"id":"li_1"},{"price":{"id":"price_\ud800"}}]}}}}""",
        "data.object.line_items.data[1].price.id", EventText.LoneSurrogate)]
    [InlineData("""{"a":[["x","\udc00"]]}""", "a[0][1]", EventText.LoneSurrogate)]
    [InlineData("""{"data":{"object":{"metadata":{"us\u0065r_id":"u_\uffff"}}}}""", "data.object.metadata.user_id", EventText.Noncharacter)]
    [InlineData("""{"data":{"object":{"customer":"cus_\ufdd0"}}}""", "data.object.customer", EventText.Noncharacter)]
    [InlineData("""{"metadata":{"\ud800":"x"}}""", "metadata (a property name)", EventText.LoneSurrogate)]
    [InlineData("""{"\u202e\u0007x":{"id":"\ud800"}}""", "\\u202e\\u0007x.id", EventText.LoneSurrogate)]
    [InlineData("""["\ud83d"]""", "[0]", EventText.LoneSurrogate)]
    [InlineData("""{"id":"\\\ud800"}""", "id", EventText.LoneSurrogate)]
    public void Names_the_first_invalid_string_by_its_path(string json, string field, string reason)
    {
        // The literals hold the escapes as text: C# raw strings keep \ud800 as six characters.
        Assert.Equal(new EventText.Invalid(field, reason), Find(json));
    }

    [Theory]
    [InlineData("""{"name":"\ud83d\ude42 \ufffd \uffff","id":"evt_1"}""")]
    [InlineData("""{"id":"\\ud800"}""")]
    [InlineData("""{"description":"Zoë 🙂"}""")]
    [InlineData("""{"id":"evt_1","type":"checkout.session.completed"}""")]
    [InlineData("""not json at all \ud800""")]
    public void Valid_text_escaped_backslashes_and_non_characters_outside_ids_pass(string json) =>
        Assert.Null(Find(json));

    [Fact]
    public void Bytes_that_are_not_UTF8_are_found_in_their_field()
    {
        byte[] body = [.. "{\"data\":{\"email\":\"a"u8, 0xC0, 0xAF, .. "@x.com\"}}"u8];
        Assert.Equal(new EventText.Invalid("data.email", EventText.NotUtf8), EventText.FindInvalid(body));
    }

    [Fact]
    public void A_long_hostile_path_is_cut_short()
    {
        var name = new string('n', 500);
        var json = string.Concat(Enumerable.Repeat($"{{\"{name}\":", 6)) + "\"\\ud800\"" + new string('}', 6);
        var invalid = Find(json);
        Assert.NotNull(invalid);
        Assert.True(invalid.Field.Length <= 301, invalid.Field);
    }
}
