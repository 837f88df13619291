"""ISO 3166-1 alpha-2 codes, for checking inputs without asking Twilio.

The 249 officially assigned codes (pycountry 26.2.16) plus ``XK`` (Kosovo, user-assigned but widely used,
Twilio included). A code here may still be absent from Twilio's Dialing Permissions list; that is found at
create time, when the country is read.
"""

__all__ = ["ISO_3166_ALPHA_2", "NOT_TWILIO_CODES"]

_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
"""
ISO_3166_ALPHA_2 = frozenset(_CODES.split())

# Codes people reach for that Twilio's list does not use, with what to use instead and why.
NOT_TWILIO_CODES = {
    "UK": ("GB", "the ISO 3166-1 code of the United Kingdom is GB"),
    "CA": ("US", "Twilio folds Canada into the US entry ('United States/Canada', +1)"),
    "EL": ("GR", "the ISO 3166-1 code of Greece is GR"),
}
