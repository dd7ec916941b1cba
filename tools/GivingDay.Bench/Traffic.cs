namespace GivingDay.Bench;

/// <summary>Who gives, as on a real giving day: mostly people giving once (a branch's 5·8 campaign had 30,000+
/// donors for 9 projects), some returning, a few anonymous; Chinese names and messages, mobile numbers as contacts.</summary>
public sealed class Traffic(string mix, int runSalt)
{
    public static readonly string[] Mixes = ["distinct", "repeat", "anonymous"];

    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "欧阳", "司马"];
    private static readonly string[] Given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "小明", "思远", "雨桐"];
    private static readonly string?[] Messages =
    [
        null, null, "加油！", "愿早产宝宝们平安长大", "一点心意，祝福南通", "人道 博爱 奉献", "微心愿，大温暖",
        "为红十字点赞", "希望老人们冬天不再冷", "99公益日，一起来", "小小心意，聊表支持", "爱心接力，传递温暖🌸",
    ];
    private static readonly long[] Yuan = [10, 20, 20, 50, 50, 66, 88, 99, 100, 100, 200, 500];

    private long _next;

    public sealed record Gift(object Body, long Amount, string? Contact);

    /// <summary>distinct: 85% a new donor each time, 10% one of 200 returning donors (who soon meet the velocity
    /// rule), 5% anonymous without contact. repeat: donors from a pool of 3,200. anonymous: nobody leaves a contact.</summary>
    public Gift Next(Random random, string projectId)
    {
        var amount = Yuan[random.Next(Yuan.Length)] * 100;
        var name = Surnames[random.Next(Surnames.Length)] + Given[random.Next(Given.Length)];
        var message = Messages[random.Next(Messages.Length)];
        var roll = random.Next(100);
        string? contact = mix switch
        {
            "anonymous" => null,
            "repeat" => Mobile(137, random.Next(3_200)),
            _ when roll < 85 => Mobile(139, Interlocked.Increment(ref _next)),
            _ when roll < 95 => Mobile(138, random.Next(200)),
            _ => null,
        };
        var anonymous = contact is null;
        return new Gift(new { projectId, amount, donor = new { name = anonymous ? null : name, anonymous, contact }, message }, amount, contact);
    }

    /// <summary>A mainland mobile number: prefix, then 8 digits unique to this run and sequence number.</summary>
    private string Mobile(int prefix, long n) => $"{prefix}{(runSalt * 1_000_003L + n) % 100_000_000:00000000}";
}
