"""联盟大会 and 联席会议: scheduled, attended by the member units, minuted, their 决议 followed up;
and the assembly's 推选 of the term's rotating deputy secretary."""
