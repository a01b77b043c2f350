"""Synthetic catalogs for the catalog benchmark, and a bulk loader that builds what the services would.

The generator is deterministic for a seed: providers (about one per hundred listings) named from real
Guangdong and other cities, districts, brands, industries and company suffixes; products named region ×
subject × data kind in Chinese and English (江门新会 + 新会陈皮 + 仓储溯源数据 / "Jiangmen Xinhui Xinhui chenpi
warehouse traceability data") from 14 sectors and ~170 subjects; descriptions of 40-120 characters; 3-12
field-dictionary entries; 1-3 scenarios; and 1-3 offers of various pricing modes. Sectors, subjects, kinds,
providers and regions are drawn with Zipf-like weights, so a term's selectivity is realistic and the same at
every size (measured at 10^5 and 10^6): 陈皮 in 0.45% of listings, 社保 5%, 电力 5%, 电 19%, "credit" and 金融
about 28% (the finance sector's own label and the most common scenario).

Listings are generated in chunks of CHUNK listings, each from its own seeded random stream, so the catalog
is the same whatever the number of worker processes. The loader writes organisations, users, products,
product versions (registered), listings (listed), offers, catalog_search rows (`index.document_terms`) and
catalog_facet_counts (the sum of `index.count_rows` over `index.facet_values`) with COPY on PostgreSQL and
executemany in one transaction on SQLite. Secondary indexes are dropped during the load and created after
it from the same definitions (the models' indexes, search_index's GIN index); on SQLite the FTS5 insert
trigger is dropped and the FTS5 table rebuilt from catalog_search, then the trigger recreated verbatim.
tests/bench/test_catalog_data.py checks that the result equals what `index.rebuild()` computes.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
import time
from bisect import bisect
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate, islice
from types import SimpleNamespace

from sqlalchemy import Index
from sqlalchemy.engine import Engine

from compliance import vocabulary
from compliance.identifiers import USCC_ALPHABET, make_uscc
from marketplace.accounts import models as _accounts  # noqa: F401  (their tables, for the converters)
from marketplace.catalog import index, search_index
from marketplace.extensions import db
from marketplace.products import models as _products  # noqa: F401

SEED = 20240611
# Part of the catalog's identity (with the seed and size): bump when the generated data changes, so that
# `catalog_bench.py --keep` does not reuse a database built by an older generator.
GENERATOR_VERSION = 1
CHUNK = 5_000
EPOCH = datetime(2022, 1, 1, tzinfo=UTC)
LISTING_SPAN = timedelta(days=3 * 365 + 180)


class Zipf:
    """Draws items with weight 1 / (rank + offset) ** s: the first item most often, a long tail after."""

    def __init__(self, items: list, s: float = 1.0, offset: float = 1.0, weights: list[float] | None = None):
        self.items = list(items)
        raw = weights or [1.0 / (rank + offset) ** s for rank in range(len(self.items))]
        self.cumulative = list(accumulate(raw))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.items[min(bisect(self.cumulative, rng.random() * self.total), len(self.items) - 1)]

    def at(self, u: float):
        """The item at quantile u of the distribution (0 <= u < 1)."""
        return self.items[min(bisect(self.cumulative, u * self.total), len(self.items) - 1)]

    def share(self, item) -> float:
        i = self.items.index(item)
        return (self.cumulative[i] - (self.cumulative[i - 1] if i else 0.0)) / self.total


# ----------------------------------------------------------------------------------------------------------
# Places: GB/T 2260 codes. Cities (code, short name, English, districts as (code, name with suffix, English)).
# ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    code: str
    zh: str          # as in a product name: 江门, 江门新会
    en: str          # Jiangmen, Jiangmen Xinhui
    formal: str      # as in a company name: 江门市, 江门市新会区


PROVINCES = {"44": ("广东", "Guangdong"), "11": ("北京", "Beijing"), "31": ("上海", "Shanghai"),
             "33": ("浙江", "Zhejiang"), "32": ("江苏", "Jiangsu"), "42": ("湖北", "Hubei"), "51": ("四川", "Sichuan"),
             "61": ("陕西", "Shaanxi"), "43": ("湖南", "Hunan"), "35": ("福建", "Fujian"), "37": ("山东", "Shandong"),
             "41": ("河南", "Henan"), "52": ("贵州", "Guizhou"), "45": ("广西", "Guangxi"), "46": ("海南", "Hainan"),
             "53": ("云南", "Yunnan"), "34": ("安徽", "Anhui"), "36": ("江西", "Jiangxi"), "50": ("重庆", "Chongqing")}
MUNICIPALITIES = {"11", "31", "50"}

# Most frequent first: the exchange is in Jiangmen, most of its providers are in the Pearl River Delta.
CITIES = [
    ("440700", "江门", "Jiangmen", [("440703", "蓬江区", "Pengjiang"), ("440704", "江海区", "Jianghai"),
                                     ("440705", "新会区", "Xinhui"), ("440781", "台山市", "Taishan"),
                                     ("440783", "开平市", "Kaiping"), ("440784", "鹤山市", "Heshan"),
                                     ("440785", "恩平市", "Enping")]),
    ("440100", "广州", "Guangzhou", [("440103", "荔湾区", "Liwan"), ("440104", "越秀区", "Yuexiu"),
                                      ("440105", "海珠区", "Haizhu"), ("440106", "天河区", "Tianhe"),
                                      ("440111", "白云区", "Baiyun"), ("440112", "黄埔区", "Huangpu"),
                                      ("440113", "番禺区", "Panyu"), ("440114", "花都区", "Huadu"),
                                      ("440115", "南沙区", "Nansha"), ("440117", "从化区", "Conghua"),
                                      ("440118", "增城区", "Zengcheng")]),
    ("440300", "深圳", "Shenzhen", [("440303", "罗湖区", "Luohu"), ("440304", "福田区", "Futian"),
                                     ("440305", "南山区", "Nanshan"), ("440306", "宝安区", "Bao'an"),
                                     ("440307", "龙岗区", "Longgang"), ("440308", "盐田区", "Yantian"),
                                     ("440309", "龙华区", "Longhua"), ("440310", "坪山区", "Pingshan"),
                                     ("440311", "光明区", "Guangming")]),
    ("440600", "佛山", "Foshan", [("440604", "禅城区", "Chancheng"), ("440605", "南海区", "Nanhai"),
                                   ("440606", "顺德区", "Shunde"), ("440607", "三水区", "Sanshui"),
                                   ("440608", "高明区", "Gaoming")]),
    ("441900", "东莞", "Dongguan", []),
    ("440400", "珠海", "Zhuhai", [("440402", "香洲区", "Xiangzhou"), ("440403", "斗门区", "Doumen"),
                                   ("440404", "金湾区", "Jinwan")]),
    ("442000", "中山", "Zhongshan", []),
    ("441300", "惠州", "Huizhou", [("441302", "惠城区", "Huicheng"), ("441303", "惠阳区", "Huiyang"),
                                    ("441322", "博罗县", "Boluo"), ("441323", "惠东县", "Huidong")]),
    ("441200", "肇庆", "Zhaoqing", [("441202", "端州区", "Duanzhou"), ("441204", "高要区", "Gaoyao"),
                                     ("441284", "四会市", "Sihui")]),
    ("440800", "湛江", "Zhanjiang", [("440802", "赤坎区", "Chikan"), ("440803", "霞山区", "Xiashan"),
                                      ("440882", "雷州市", "Leizhou")]),
    ("440500", "汕头", "Shantou", [("440507", "龙湖区", "Longhu"), ("440511", "金平区", "Jinping"),
                                    ("440513", "潮阳区", "Chaoyang")]),
    ("440900", "茂名", "Maoming", [("440902", "茂南区", "Maonan"), ("440981", "高州市", "Gaozhou"),
                                    ("440982", "化州市", "Huazhou"), ("440983", "信宜市", "Xinyi")]),
    ("441800", "清远", "Qingyuan", [("441802", "清城区", "Qingcheng"), ("441881", "英德市", "Yingde"),
                                     ("441882", "连州市", "Lianzhou")]),
    ("441400", "梅州", "Meizhou", [("441402", "梅江区", "Meijiang"), ("441403", "梅县区", "Meixian")]),
    ("445200", "揭阳", "Jieyang", [("445202", "榕城区", "Rongcheng"), ("445281", "普宁市", "Puning")]),
    ("441700", "阳江", "Yangjiang", [("441702", "江城区", "Jiangcheng"), ("441781", "阳春市", "Yangchun")]),
    ("445100", "潮州", "Chaozhou", [("445102", "湘桥区", "Xiangqiao")]),
    ("440200", "韶关", "Shaoguan", [("440203", "武江区", "Wujiang"), ("440204", "浈江区", "Zhenjiang"),
                                     ("440282", "南雄市", "Nanxiong")]),
    ("441600", "河源", "Heyuan", [("441602", "源城区", "Yuancheng")]),
    ("441500", "汕尾", "Shanwei", [("441581", "陆丰市", "Lufeng")]),
    ("445300", "云浮", "Yunfu", [("445302", "云城区", "Yuncheng"), ("445381", "罗定市", "Luoding")]),
    ("110000", "北京", "Beijing", [("110105", "朝阳区", "Chaoyang"), ("110108", "海淀区", "Haidian")]),
    ("310000", "上海", "Shanghai", [("310115", "浦东新区", "Pudong"), ("310104", "徐汇区", "Xuhui")]),
    ("330100", "杭州", "Hangzhou", [("330106", "西湖区", "Xihu"), ("330108", "滨江区", "Binjiang")]),
    ("320100", "南京", "Nanjing", [("320106", "鼓楼区", "Gulou")]),
    ("320500", "苏州", "Suzhou", [("320505", "虎丘区", "Huqiu")]),
    ("420100", "武汉", "Wuhan", [("420111", "洪山区", "Hongshan")]),
    ("510100", "成都", "Chengdu", [("510107", "武侯区", "Wuhou")]),
    ("500000", "重庆", "Chongqing", [("500105", "江北区", "Jiangbei")]),
    ("610100", "西安", "Xi'an", [("610113", "雁塔区", "Yanta")]),
    ("430100", "长沙", "Changsha", [("430104", "岳麓区", "Yuelu")]),
    ("350200", "厦门", "Xiamen", [("350203", "思明区", "Siming")]),
    ("350100", "福州", "Fuzhou", []),
    ("370200", "青岛", "Qingdao", [("370212", "崂山区", "Laoshan")]),
    ("410100", "郑州", "Zhengzhou", []),
    ("520100", "贵阳", "Guiyang", [("520115", "观山湖区", "Guanshanhu")]),
    ("450100", "南宁", "Nanning", []),
    ("460100", "海口", "Haikou", []),
    ("530100", "昆明", "Kunming", []),
    ("340100", "合肥", "Hefei", []),
    ("360100", "南昌", "Nanchang", []),
]


def _short(district: str) -> str:
    """新会区 → 新会, 浦东新区 → 浦东, 梅县区 → 梅县: the name as it reads inside a product name."""
    return district[:-2] if district.endswith("新区") else district[:-1]


def _city_places(code: str, zh: str, en: str, districts: list) -> tuple[Place, list[Place]]:
    city = Place(code, zh, en, zh + "市")
    return city, [Place(d_code, zh + _short(d_zh), f"{en} {d_en}", city.formal + d_zh)
                  for d_code, d_zh, d_en in districts]


# ----------------------------------------------------------------------------------------------------------
# Sectors and subjects. Each subject: (Chinese, English); the first of a sector is its most frequent.
# ----------------------------------------------------------------------------------------------------------

# Share of providers (and so of products) per sector, in percent: public data and finance lead.
SECTOR_WEIGHTS = {"government": 16, "finance": 15, "energy": 10, "transport": 9, "commerce": 8, "health": 7,
                  "industry": 6, "social_security": 5.5, "agriculture": 5, "telecom": 4, "natural_resources": 4,
                  "other": 4, "culture_tourism": 3.5, "education": 3}

SUBJECTS = {
    "finance": [("企业征信", "enterprise credit"), ("小微企业经营", "small business operations"),
                ("信用卡交易", "credit card transactions"), ("个人消费信贷", "consumer loans"),
                ("供应链应收账款", "supply-chain receivables"), ("涉诉信息", "litigation records"),
                ("票据贴现", "bill discounting"), ("反洗钱名单", "anti-money-laundering watchlist"),
                ("企业工商变更", "business registration changes"), ("动产抵押", "chattel mortgages"),
                ("股权出质", "equity pledges"), ("融资担保", "financing guarantees"),
                ("上市公司公告", "listed company announcements"), ("银行网点", "bank branches")],
    "government": [("不动产登记", "real estate registration"), ("税务发票", "tax invoices"),
                   ("市场主体登记", "market entity registration"), ("行政许可", "administrative licences"),
                   ("公积金缴存", "housing provident fund contributions"), ("行政处罚", "administrative penalties"),
                   ("纳税信用", "tax credit ratings"), ("政务服务办件", "government service cases"),
                   ("人口统计", "population statistics"), ("招标投标", "public tendering"),
                   ("政府采购", "government procurement"), ("热线工单", "citizen hotline tickets"),
                   ("企业开办", "business start-up")],
    "energy": [("企业用电", "enterprise electricity use"), ("电力负荷", "power load"),
               ("居民用电", "household electricity use"), ("光伏发电", "solar generation"),
               ("充电桩运营", "EV charging stations"), ("燃气用量", "gas consumption"),
               ("碳排放", "carbon emissions"), ("风电出力", "wind power output"), ("电力交易", "power trading"),
               ("配电网运行", "distribution grid operations"), ("天然气管网", "natural gas pipeline network"),
               ("储能电站", "energy storage stations"), ("成品油价格", "fuel prices")],
    "transport": [("物流轨迹", "logistics tracking"), ("交通流量", "traffic flow"), ("公交客流", "bus ridership"),
                  ("网约车订单", "ride-hailing orders"), ("港口集装箱", "port container throughput"),
                  ("货车运输", "truck freight"), ("高速公路通行", "expressway traffic"), ("停车场", "parking"),
                  ("船舶轨迹", "vessel tracking"), ("地铁客流", "metro ridership"), ("共享单车", "bike sharing"),
                  ("驾驶行为", "driving behaviour"), ("航班动态", "flight status")],
    "commerce": [("电商交易", "e-commerce transactions"), ("零售门店", "retail stores"),
                 ("进出口报关", "customs declarations"), ("餐饮消费", "restaurant spending"),
                 ("商圈客流", "shopping district footfall"), ("快递包裹", "parcel delivery"),
                 ("跨境电商", "cross-border e-commerce"), ("价格监测", "price monitoring"),
                 ("商品条码", "product barcodes"), ("外卖订单", "food delivery orders"),
                 ("批发市场", "wholesale markets"), ("预付卡", "prepaid cards")],
    "health": [("医保结算", "medical insurance settlement"), ("门诊就诊", "outpatient visits"),
               ("住院病案", "inpatient records"), ("药品不良反应", "adverse drug reactions"),
               ("慢病管理", "chronic disease management"), ("疫苗接种", "vaccination"),
               ("药品零售", "pharmacy retail"), ("健康体检", "health checkups"), ("医疗器械", "medical devices"),
               ("传染病监测", "infectious disease surveillance"), ("医院床位", "hospital beds"),
               ("中医药", "traditional Chinese medicine")],
    "social_security": [("社保缴费", "social insurance contributions"), ("养老金发放", "pension payments"),
                        ("就业登记", "employment registration"), ("失业保险", "unemployment insurance"),
                        ("工伤认定", "work injury determinations"), ("灵活就业", "flexible employment"),
                        ("最低生活保障", "minimum living allowance"), ("社保卡应用", "social security card use"),
                        ("劳动仲裁", "labour arbitration"), ("人才引进", "talent attraction"),
                        ("残疾人服务", "disability services"), ("职业年金", "occupational annuities")],
    "agriculture": [("农产品价格", "farm produce prices"), ("生猪养殖", "hog farming"), ("水产养殖", "aquaculture"),
                    ("荔枝产销", "lychee production"), ("耕地质量", "farmland quality"), ("农资流通", "farm supplies"),
                    ("新会陈皮", "Xinhui chenpi"), ("柑橘种植", "citrus orchards"),
                    ("农业保险", "crop insurance"), ("英德红茶", "Yingde black tea"),
                    ("化州橘红", "Huazhou pomelo peel"), ("丝苗米", "silk seedling rice"),
                    ("畜禽检疫", "livestock quarantine")],
    "industry": [("工业能耗", "industrial energy use"), ("设备运行", "equipment telemetry"),
                 ("规上工业产值", "industrial output"), ("专利", "patents"),
                 ("产品质量抽检", "product quality inspections"), ("安全生产", "work safety"),
                 ("工业园区", "industrial parks"), ("招聘用工", "recruitment"), ("家电制造", "appliance manufacturing"),
                 ("纺织服装", "textiles and apparel"), ("五金卫浴", "hardware and sanitary ware"),
                 ("原材料价格", "raw material prices")],
    "telecom": [("手机信令", "mobile signalling"), ("号码状态核验", "phone number status"),
                ("宽带用户", "broadband subscribers"), ("基站分布", "cell sites"), ("流量使用", "mobile data usage"),
                ("物联网卡", "IoT SIM cards"), ("网络覆盖", "network coverage"), ("短信发送", "SMS traffic"),
                ("漫游人口", "roaming population"), ("骚扰电话", "nuisance calls")],
    "natural_resources": [("气象", "weather"), ("空气质量", "air quality"), ("降雨量", "rainfall"),
                          ("土地利用", "land use"), ("地质灾害", "geological hazards"), ("水资源", "water resources"),
                          ("遥感影像", "satellite imagery"), ("河道水位", "river levels"),
                          ("森林资源", "forest resources"), ("海洋环境", "marine environment"),
                          ("地名地址", "place names and addresses"), ("矿产资源", "mineral resources")],
    "culture_tourism": [("景区客流", "scenic area visitors"), ("酒店入住", "hotel stays"),
                        ("旅游消费", "tourist spending"), ("开平碉楼", "Kaiping diaolou"),
                        ("侨乡文化", "qiaoxiang heritage"),
                        ("文化场馆", "cultural venues"), ("演出票务", "performance ticketing"), ("民宿", "homestays"),
                        ("体育场馆", "sports venues"), ("旅行社", "travel agencies"), ("影院票房", "box office")],
    "education": [("学校基本信息", "school directory"), ("学位供给", "school places"),
                  ("职业技能培训", "vocational training"), ("高校毕业生就业", "graduate employment"),
                  ("学历核验", "degree verification"), ("在线学习", "online learning"),
                  ("教师资格", "teacher qualifications"), ("校园消费", "campus spending"),
                  ("图书借阅", "library lending"), ("考试报名", "exam registrations")],
    "other": [("企业画像", "company profiles"), ("房地产交易", "property transactions"), ("舆情", "public opinion"),
              ("地址标准化", "address standardisation"), ("二手房挂牌", "second-hand housing listings"),
              ("人口流动", "population movement"), ("宏观经济", "macroeconomic indicators"),
              ("招聘岗位", "job postings"), ("企业年报", "annual reports"), ("知识产权", "intellectual property")],
}

# Data kinds, most frequent first: (Chinese, English, product type).
KINDS = [
    ("数据集", "dataset", "dataset"), ("查询接口", "query API", "api"), ("统计数据", "statistics", "dataset"),
    ("明细数据", "detail records", "dataset"), ("指数", "index", "index"), ("分析报告", "analysis report", "report"),
    ("监测数据", "monitoring data", "dataset"), ("核验接口", "verification API", "api"),
    ("风险评分模型", "risk scoring model", "model"), ("月度报告", "monthly report", "report"),
    ("溯源数据", "traceability data", "dataset"), ("实时数据接口", "real-time API", "api"),
    ("价格指数", "price index", "index"), ("画像标签", "profile tags", "model"),
    ("仓储溯源数据", "warehouse traceability data", "dataset"), ("专题库", "thematic database", "dataset"),
    ("研究报告", "research report", "report"), ("预测模型", "forecast model", "model"),
    ("景气指数", "sentiment index", "index"), ("可视化平台", "dashboard", "application"),
    ("决策支持应用", "decision support app", "application"),
]

# Scenarios a sector's products usually serve, most usual first.
SCENARIOS_BY_SECTOR = {
    "finance": ["credit_support", "anti_fraud", "post_loan_warning", "supply_chain_finance"],
    "government": ["urban_governance", "credit_support", "research"],
    "energy": ["energy_management", "post_loan_warning", "credit_support"],
    "transport": ["urban_governance", "supply_chain_finance", "insurance_underwriting"],
    "commerce": ["anti_fraud", "supply_chain_finance", "traceability"],
    "health": ["public_health", "insurance_underwriting", "drug_safety", "research"],
    "social_security": ["insurance_underwriting", "credit_support", "urban_governance"],
    "agriculture": ["precision_agriculture", "traceability", "supply_chain_finance"],
    "industry": ["energy_management", "supply_chain_finance", "traceability"],
    "telecom": ["anti_fraud", "urban_governance"],
    "natural_resources": ["research", "precision_agriculture", "urban_governance"],
    "culture_tourism": ["urban_governance", "research"],
    "education": ["research", "urban_governance"],
    "other": ["research", "urban_governance"],
}

# Scenarios outside a sector's own, most frequent first.
SCENARIO_ORDER = ["urban_governance", "research", "traceability", "anti_fraud", "credit_support", "public_health",
                  "supply_chain_finance", "energy_management", "insurance_underwriting", "post_loan_warning",
                  "precision_agriculture", "drug_safety"]

# Provider industries by sector: (Chinese, English, weight).
INDUSTRIES = {
    "finance": [("征信服务", "Credit Services", 3), ("金融科技", "Fintech", 3),
                ("金融信息服务", "Financial Information Services", 1)],
    "government": [("公共数据运营", "Public Data Operations", 3), ("政务信息", "E-Government Information", 2),
                   ("城市大数据", "City Big Data", 2)],
    "energy": [("电力数据服务", "Power Data Services", 2), ("能源科技", "Energy Technology", 3),
               ("新能源", "New Energy", 2)],
    "transport": [("智慧交通", "Smart Transport", 3), ("物流科技", "Logistics Technology", 3),
                  ("供应链管理", "Supply Chain", 1)],
    "commerce": [("商业数据", "Commercial Data", 3), ("电子商务", "E-Commerce", 1),
                 ("零售科技", "Retail Technology", 2)],
    "health": [("医疗信息", "Medical Information", 3), ("健康科技", "Health Technology", 2),
               ("医药数据", "Pharmaceutical Data", 1)],
    "social_security": [("人力资源服务", "Human Resources Services", 3),
                        ("社会保障信息", "Social Security Information", 1)],
    "agriculture": [("农业科技", "Agricultural Technology", 5), ("农产品流通", "Farm Produce Distribution", 2),
                    ("陈皮产业", "Chenpi Industry", 0.3)],
    "industry": [("工业互联网", "Industrial Internet", 3), ("智能制造", "Smart Manufacturing", 2)],
    "telecom": [("通信技术", "Communications Technology", 3), ("信息网络", "Information Network", 2)],
    "natural_resources": [("测绘地理信息", "Surveying and Geographic Information", 3),
                          ("环境科技", "Environmental Technology", 2)],
    "culture_tourism": [("文旅大数据", "Culture and Tourism Big Data", 3), ("文化传媒", "Culture and Media", 2)],
    "education": [("教育科技", "Education Technology", 3)],
    "other": [("数据科技", "Data Technology", 3), ("信息技术", "Information Technology", 3), ("大数据", "Big Data", 2)],
}

BRANDS = [("智联", "Zhilian"), ("数源", "Shuyuan"), ("华信", "Huaxin"), ("汇通", "Huitong"), ("鼎新", "Dingxin"),
          ("云图", "Yuntu"), ("星河", "Xinghe"), ("博睿", "Borui"), ("恒泰", "Hengtai"), ("中科", "Zhongke"),
          ("粤海", "Yuehai"), ("南粤", "Nanyue"), ("五邑", "Wuyi"), ("侨都", "Qiaodu"), ("海川", "Haichuan"),
          ("天元", "Tianyuan"), ("启明", "Qiming"), ("领航", "Linghang"), ("众合", "Zhonghe"), ("金穗", "Jinsui"),
          ("长青", "Changqing"), ("泰和", "Taihe"), ("宏图", "Hongtu"), ("信达", "Xinda"), ("安信", "Anxin"),
          ("明德", "Mingde"), ("瑞丰", "Ruifeng"), ("嘉禾", "Jiahe"), ("盈科", "Yingke"), ("致远", "Zhiyuan"),
          ("卓越", "Zhuoyue"), ("远景", "Yuanjing"), ("蓝海", "Lanhai"), ("银河", "Yinhe"), ("同创", "Tongchuang"),
          ("永信", "Yongxin"), ("立信", "Lixin"), ("方正", "Fangzheng"), ("正源", "Zhengyuan"), ("华数", "Huashu"),
          ("数联", "Shulian"), ("数智", "Shuzhi"), ("慧眼", "Huiyan"), ("智汇", "Zhihui"), ("睿图", "Ruitu"),
          ("云帆", "Yunfan"), ("海纳", "Haina"), ("九章", "Jiuzhang"), ("万象", "Wanxiang"), ("千帆", "Qianfan"),
          ("百川", "Baichuan"), ("北斗", "Beidou"), ("东方", "Dongfang"), ("珠江", "Zhujiang"), ("西江", "Xijiang"),
          ("翠亨", "Cuiheng"), ("香山", "Xiangshan"), ("岭南", "Lingnan"), ("丹霞", "Danxia"), ("鼎湖", "Dinghu"),
          ("罗浮", "Luofu"), ("潮汕", "Chaoshan"), ("客都", "Kedu"), ("侨乡", "Qiaoxiang"), ("葵乡", "Kuixiang"),
          ("圭峰", "Guifeng"), ("银洲", "Yinzhou"), ("崖门", "Yamen"), ("穗和", "Suihe"), ("鹏程", "Pengcheng"),
          ("深蓝", "Shenlan"), ("金湾", "Jinwan"), ("新禾", "Xinhe"), ("合众", "Hezhong"), ("弘毅", "Hongyi")]

SUFFIXES = [("有限公司", "Co., Ltd.", 14), ("股份有限公司", "Corporation", 3), ("有限责任公司", "LLC", 2),
            ("研究院", "Research Institute", 1), ("服务中心", "Service Center", 0.5)]

# Field dictionary entries: (name, type, description, personal information).
GENERIC_FIELDS = [
    ("统计日期", "date", "数据所属日期", False), ("统计月份", "string", "YYYY-MM 格式的统计月份", False),
    ("行政区划代码", "string", "GB/T 2260 行政区划代码", False), ("记录编号", "string", "记录唯一编号", False),
    ("更新时间", "datetime", "记录最近一次更新的时间", False), ("数据来源", "string", "数据来源单位", False),
    ("企业名称", "string", "市场主体名称", False), ("统一社会信用代码", "string", "18 位统一社会信用代码", False),
    ("所属行业", "string", "国民经济行业分类代码", False), ("备注", "string", "补充说明", False),
]
SECTOR_FIELDS = {
    "finance": [("授信额度", "decimal", "授信额度（万元）"), ("逾期天数", "integer", "当前逾期天数"),
                ("信用评分", "integer", "综合信用评分 300-900"), ("风险等级", "string", "低 / 中 / 高"),
                ("涉诉次数", "integer", "近三年涉诉次数"), ("交易金额", "decimal", "交易金额（元）"),
                ("贷款余额", "decimal", "贷款余额（万元）"), ("还款记录", "string", "近 24 个月还款记录")],
    "government": [("办件编号", "string", "政务服务办件编号"), ("事项名称", "string", "办理事项名称"),
                   ("办结日期", "date", "办结日期"), ("发票金额", "decimal", "价税合计（元）"),
                   ("纳税信用等级", "string", "A / B / M / C / D"), ("不动产单元号", "string", "不动产单元号"),
                   ("处罚决定书文号", "string", "行政处罚决定书文号")],
    "energy": [("户号", "string", "用电户号（已脱敏）"), ("用电量_千瓦时", "decimal", "月用电量（千瓦时）"),
               ("最大负荷_千瓦", "decimal", "最大负荷（千瓦）"), ("电压等级", "string", "供电电压等级"),
               ("发电量", "decimal", "发电量（千瓦时）"), ("碳排放量_吨", "decimal", "二氧化碳排放量（吨）"),
               ("欠费次数", "integer", "近 12 个月欠费次数"), ("充电次数", "integer", "充电次数")],
    "transport": [("车牌号", "string", "车牌号（已脱敏）"), ("经度", "decimal", "WGS84 经度"),
                  ("纬度", "decimal", "WGS84 纬度"),
                  ("车流量", "integer", "断面车流量（辆）"), ("运单号", "string", "运单编号"),
                  ("客流人次", "integer", "客流人次"), ("平均车速", "decimal", "平均车速（公里/小时）")],
    "commerce": [("订单金额", "decimal", "订单金额（元）"), ("商品类目", "string", "商品一级类目"),
                 ("门店编号", "string", "门店编号"), ("报关单号", "string", "报关单号"),
                 ("成交笔数", "integer", "成交笔数"), ("客单价", "decimal", "客单价（元）")],
    "health": [("就诊人次", "integer", "门诊就诊人次"), ("疾病编码", "string", "ICD-10 编码"),
               ("医保统筹支付", "decimal", "医保统筹支付金额（元）"), ("药品名称", "string", "药品通用名"),
               ("年龄段", "string", "十岁一组的年龄段"), ("性别", "string", "性别"),
               ("医疗机构代码", "string", "医疗机构代码")],
    "social_security": [("参保状态", "string", "正常参保 / 暂停 / 终止"), ("缴费基数", "decimal", "社保缴费基数（元）"),
                        ("缴费月数", "integer", "累计缴费月数"), ("险种", "string", "养老 / 医疗 / 失业 / 工伤 / 生育"),
                        ("姓名", "string", "参保人姓名（已脱敏）"), ("身份证号", "string", "居民身份证号码（已脱敏）"),
                        ("单位名称", "string", "参保单位名称")],
    "agriculture": [("品种", "string", "作物或产品品种"), ("产地", "string", "产地"),
                    ("收购价_元每斤", "decimal", "产地收购价"), ("入仓日期", "date", "入仓日期"),
                    ("批次号", "string", "溯源批次号"), ("年份", "integer", "陈化年份"),
                    ("存栏量", "integer", "存栏量（头）"), ("亩产", "decimal", "亩产（公斤）")],
    "industry": [("设备编号", "string", "设备编号"), ("产值_万元", "decimal", "工业总产值（万元）"),
                 ("能耗_吨标煤", "decimal", "综合能耗（吨标准煤）"), ("专利号", "string", "专利申请号"),
                 ("抽检结果", "string", "合格 / 不合格"), ("用工人数", "integer", "用工人数")],
    "telecom": [("号码段", "string", "号段"), ("在网时长", "integer", "在网时长（月）"),
                ("基站编号", "string", "基站编号"), ("流量_GB", "decimal", "月流量（GB）"),
                ("号码状态", "string", "正常 / 停机 / 销号"), ("常驻人口", "integer", "常驻人口数")],
    "natural_resources": [("站点编号", "string", "监测站点编号"), ("降水量_毫米", "decimal", "降水量（毫米）"),
                          ("气温", "decimal", "气温（摄氏度）"), ("AQI", "integer", "空气质量指数"),
                          ("地块编号", "string", "地块编号"), ("水位_米", "decimal", "水位（米）")],
    "culture_tourism": [("景区名称", "string", "景区名称"), ("接待人次", "integer", "接待人次"),
                        ("入住率", "decimal", "客房入住率"), ("旅游收入_万元", "decimal", "旅游收入（万元）"),
                        ("客源地", "string", "游客客源地")],
    "education": [("学校代码", "string", "学校标识码"), ("在校生数", "integer", "在校生人数"),
                  ("专业名称", "string", "专业名称"),
                  ("就业率", "decimal", "毕业去向落实率"), ("证书编号", "string", "证书编号")],
    "other": [("地址", "string", "标准化地址"), ("成交价_万元", "decimal", "成交价（万元）"),
              ("标签", "string", "画像标签"),
              ("情感倾向", "string", "正面 / 中性 / 负面"), ("岗位名称", "string", "招聘岗位名称")],
}
PI_FIELDS = {"姓名", "身份证号", "车牌号", "户号"}

# Description sentences: generic ones and each sector's own (a few mention other sectors' words, as real
# descriptions do: 电力看信贷, 社保 records in credit products).
GENERIC_PHRASES = [
    "数据来源于{source}，经清洗与质量校验后入库", "覆盖{population}", "按{frequency}更新", "可用于{scenarios}等场景",
    "提供完整字段说明与样例数据", "支持按行政区划与时间维度汇总查询", "历史数据可回溯至{year}年",
    "已完成去标识化处理，不含可识别个人的信息", "交付前经交易所合规审查", "数据口径与国家统计标准保持一致",
    "支持批量文件与接口两种交付方式", "可按需定制字段与统计口径",
]
SECTOR_PHRASES = {
    "finance": ["支持银行授信审批与贷后管理", "覆盖小微企业与个体工商户", "识别多头借贷与团伙欺诈风险",
                "按月输出企业信用评分与风险等级"],
    "government": ["依公共数据授权运营协议开发利用", "由政务服务平台办件记录汇总形成", "支持营商环境评估与监管分析",
                   "只返回核验结果，原始数据不出域"],
    "energy": ["按十五分钟粒度记录负荷曲线", "统计分行业用电量与同比变化", "服务电网调度与需求侧响应",
               "支持碳排放核算与能效评估", "反映区域工业生产景气程度"],
    "transport": ["基于车载定位与卡口数据汇聚", "支持路网运行监测与拥堵分析", "覆盖主要港口与物流园区",
                  "用于运输时效评估与运费定价"],
    "commerce": ["反映区域消费活跃度与结构变化", "按商品类目与渠道统计", "支持选址分析与客群洞察",
                 "覆盖主要电商平台与线下门店"],
    "health": ["经卫生健康部门授权开发", "按病种、年龄段统计，不含个人明细", "服务商业健康保险精算与核保",
               "用于公共卫生监测预警"],
    "social_security": ["经本人授权向指定银行提供", "统计参保人数与缴费基数分布", "支持社保待遇资格核验",
                        "原始数据不出域，仅输出核验结果"],
    "agriculture": ["记录种植、采收、入仓与流通全过程", "由产地采价员按周采集", "支持农产品质量溯源与品牌保护",
                    "为仓单质押提供货值评估依据"],
    "industry": ["来源于工业互联网平台设备接入数据", "按行业与园区汇总", "支持产业链图谱分析与招商研判"],
    "telecom": ["基于运营商网络数据汇总", "仅提供聚合统计结果", "支持人口流动与职住分析", "核验号码状态与在网时长"],
    "natural_resources": ["来源于监测站点与遥感解译", "空间分辨率为一公里网格", "支持防灾减灾与农业气象服务"],
    "culture_tourism": ["汇聚景区票务与闸机数据", "支持节假日客流预测与调度", "覆盖碉楼、侨乡等文旅资源"],
    "education": ["来源于教育管理信息系统", "按学段与区域统计", "支持学位供需分析"],
    "other": ["融合多源公开数据", "支持企业尽职调查与风险排查", "按周更新标签体系"],
}
# Sentences naming another sector's data, offered to a share of a sector's descriptions (电力看信贷, 社保 records
# in credit products): a term is found outside its own sector, as in real catalogs.
CROSS_PHRASES = {
    "finance": [("融合社保缴费、公积金与纳税记录评估还款能力", 0.06), ("结合电力消费数据刻画企业经营活跃度", 0.04)],
    "government": [("关联社保参保与公积金缴存状态", 0.03)],
    "industry": [("结合企业电力负荷曲线研判开工率", 0.05)],
    "agriculture": [("兼顾新会陈皮等特色农产品", 0.02)],
}
SOURCES = ["本单位业务系统", "公共数据开放平台", "合作机构授权", "公开渠道采集", "物联网监测设备", "政务服务平台"]
POPULATIONS = ["全市约 9.6 万户企业", "辖区常住人口约 480 万人", "约 1,200 家合作商户", "全省 21 个地级市",
               "全市 7 个区县（市）", "约 3.2 万家市场主体", "主要园区的规上企业", "约 260 万参保人员"]
FREQUENCIES = [("realtime", "实时"), ("daily", "日"), ("weekly", "周"), ("monthly", "月"), ("quarterly", "季度"),
               ("yearly", "年")]

OFFER_NAMES = {
    "one_off": [("标准版数据包", "Standard data package"), ("一次性买断", "One-off purchase")],
    "subscription": [("年度订阅", "Annual subscription"), ("月度订阅", "Monthly subscription")],
    "per_call": [("按次调用", "Pay per call")],
    "negotiable": [("定制服务（面议）", "Custom service (negotiable)")],
    "free": [("免费试用", "Free trial")],
}
PRICING = Zipf(["one_off", "subscription", "per_call", "negotiable", "free"],
               weights=[30.0, 28.0, 20.0, 15.0, 7.0])
SECURITY = Zipf(["general", "important", "core"], weights=[72.0, 24.0, 4.0])


# ----------------------------------------------------------------------------------------------------------
# The catalog
# ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Org:
    id: int
    name: str
    name_en: str
    uscc: str
    sector: str
    city: int   # index into CITIES


@dataclass(frozen=True)
class Spec:
    """Which catalog: its size and seed; everything else follows from them and GENERATOR_VERSION."""

    listings: int
    seed: int = SEED

    @property
    def organizations(self) -> int:
        return max(20, self.listings // 100)

    @property
    def key(self) -> str:
        return f"{self.listings}_{self.seed}_v{GENERATOR_VERSION}"


class Vocabulary:
    """The drawn-from tables, built once per process."""

    def __init__(self) -> None:
        self.cities: list[Place] = []
        self.districts: list[list[Place]] = []
        for code, zh, en, districts in CITIES:
            city, parts = _city_places(code, zh, en, districts)
            self.cities.append(city)
            self.districts.append(parts)
        self.city_zipf = Zipf(list(range(len(self.cities))), s=1.1, offset=1.0)
        self.provinces = {prefix: Place(f"{prefix}0000", zh, en, zh + ("市" if prefix in MUNICIPALITIES else "省"))
                          for prefix, (zh, en) in PROVINCES.items()}
        self.sectors = Zipf(list(SECTOR_WEIGHTS), weights=list(SECTOR_WEIGHTS.values()))
        self.subjects = {sector: Zipf(items, s=1.0) for sector, items in SUBJECTS.items()}
        self.kinds = Zipf(KINDS, s=0.9, offset=1.5)
        self.industries = {sector: Zipf(items, weights=[w for *_, w in items]) for sector, items in INDUSTRIES.items()}
        self.suffixes = Zipf(SUFFIXES, weights=[w for *_, w in SUFFIXES])
        self.scenario_codes = Zipf(SCENARIO_ORDER, s=0.7)


_VOCAB: Vocabulary | None = None


def vocab() -> Vocabulary:
    global _VOCAB
    if _VOCAB is None:
        _VOCAB = Vocabulary()
    return _VOCAB


def _uscc(rng: random.Random, number: int, region: str) -> str:
    """A valid, unique credit code: registration kind 91 (enterprise), the region, and the number in base 31."""
    digits = []
    for _ in range(5):
        number, r = divmod(number, len(USCC_ALPHABET))
        digits.append(USCC_ALPHABET[r])
    body = "".join(rng.choice(USCC_ALPHABET) for _ in range(4)) + "".join(reversed(digits))
    return make_uscc("91" + region + body)


def organizations(spec: Spec) -> list[Org]:
    """The providers, biggest first (listing ownership is Zipf over this order)."""
    v = vocab()
    rng = random.Random(f"{spec.seed}:organizations")
    orgs = []
    for i in range(spec.organizations):
        city_index = v.city_zipf.pick(rng)
        city = v.cities[city_index]
        districts = v.districts[city_index]
        # Sectors by a low-discrepancy sequence, not independent draws: any run of providers (the biggest
        # ten, the biggest hundred) has the sectors in their shares, so term frequencies do not depend on
        # which sector the few largest providers happen to be in.
        sector = v.sectors.at((i * 0.6180339887498949 + 0.5) % 1.0)
        industry_zh, industry_en, _w = v.industries[sector].pick(rng)
        brand_zh, brand_en = rng.choice(BRANDS)
        suffix_zh, suffix_en, _w = v.suffixes.pick(rng)
        if districts and rng.random() < 0.4:
            place = rng.choice(districts)
            formal, place_en = place.formal, place.en
        else:
            formal, place_en = city.formal, city.en
        orgs.append(Org(id=i + 1, name=f"{formal}{brand_zh}{industry_zh}{suffix_zh}",
                        name_en=f"{place_en} {brand_en} {industry_en} {suffix_en}",
                        uscc=_uscc(rng, i, city.code), sector=sector, city=city_index))
    return orgs


def _region(rng: random.Random, org: Org) -> Place:
    """Where a product's data is about: mostly the provider's own city or one of its districts."""
    v = vocab()
    roll = rng.random()
    city_index = org.city if roll < 0.85 else v.city_zipf.pick(rng)
    city, districts = v.cities[city_index], v.districts[city_index]
    roll = rng.random()
    if roll < 0.30 and districts:
        return rng.choice(districts)
    if roll < 0.40 and city.code[:2] not in MUNICIPALITIES:
        return v.provinces[city.code[:2]]
    return city


def _description(rng: random.Random, *, place: Place, subject: str, kind: str, sector: str, scenarios: list[str],
                 frequency: str, deidentified: bool) -> str:
    """40-120 characters: the product's own noun phrase, then sector and generic sentences until long enough."""
    target = rng.randint(40, 120)
    labels = "、".join(vocabulary.label(vocabulary.SCENARIOS, code, "zh") for code in scenarios)
    fill = {"source": rng.choice(SOURCES), "population": rng.choice(POPULATIONS), "frequency": frequency,
            "scenarios": labels, "year": rng.randint(2012, 2021)}
    pool = SECTOR_PHRASES[sector] * 2 + GENERIC_PHRASES
    pool += [phrase for phrase, share in CROSS_PHRASES.get(sector, ()) if rng.random() < share]
    if not deidentified:
        pool = [p for p in pool if "去标识化" not in p]
    out = f"{place.zh}{subject}{kind}"
    used = set()
    while len(out) < target:
        phrase = rng.choice(pool)
        if phrase in used:
            if len(used) >= len(set(pool)):
                break
            continue
        used.add(phrase)
        out += "，" + phrase.format(**fill)
    return out[:119] + "。"


def _fields(rng: random.Random, sector: str) -> list[dict]:
    own = SECTOR_FIELDS[sector]
    count = rng.randint(3, 12)
    specific = rng.sample(own, min(len(own), max(1, count - rng.randint(1, 4))))
    generic = rng.sample(GENERIC_FIELDS, min(len(GENERIC_FIELDS), count - len(specific)))
    entries = [(name, type_, description, name in PI_FIELDS) for name, type_, description in specific]
    entries += list(generic)
    rng.shuffle(entries)
    return [{"name": name, "type": type_, "description": description, "pi": pi, "sensitive": False}
            for name, type_, description, pi in entries[:count]]


def _scenarios(rng: random.Random, sector: str) -> list[str]:
    own = SCENARIOS_BY_SECTOR[sector]
    chosen: list[str] = []
    for _ in range(rng.choices((1, 2, 3), (50, 35, 15))[0]):
        code = rng.choice(own) if rng.random() < 0.75 else vocab().scenario_codes.pick(rng)
        if code not in chosen:
            chosen.append(code)
    return chosen


def _delivery(rng: random.Random, product_type: str, holds_pi: bool) -> list[str]:
    if product_type in ("api", "application"):
        return ["api", "aggregate"] if rng.random() < 0.1 else ["api"]
    if product_type == "model":
        return ["aggregate"] if rng.random() < 0.6 else ["api"]
    if holds_pi and rng.random() < 0.5:
        return ["aggregate"]
    roll = rng.random()
    if product_type == "index":
        return ["api"] if roll < 0.5 else ["file"]
    if roll < 0.70:
        return ["file"]
    if roll < 0.88:
        return ["api"]
    return ["file", "api"]


def _price(rng: random.Random, low_yuan: float, high_yuan: float, step_fen: int) -> int:
    value = math.exp(rng.uniform(math.log(low_yuan), math.log(high_yuan))) * 100
    return max(step_fen, int(round(value / step_fen)) * step_fen)


def _offers(rng: random.Random, product_type: str, licence_months: int) -> list[dict]:
    count = rng.choices((1, 2, 3), (55, 30, 15))[0]
    modes: list[str] = []
    for _ in range(count * 3):
        mode = PRICING.pick(rng)
        if mode == "per_call" and product_type not in ("api", "application", "index", "model"):
            continue
        if mode not in modes:
            modes.append(mode)
        if len(modes) == count:
            break
    if not modes:
        modes = ["one_off"]
    offers = []
    for mode in modes:
        name, name_en = rng.choice(OFFER_NAMES[mode])
        period, term, price = "", licence_months, None
        if mode == "one_off":
            price = _price(rng, 2_000, 500_000, 10_000)
        elif mode == "subscription":
            period = "month" if name_en.startswith("Monthly") else "year"
            term = 1 if period == "month" else 12
            price = _price(rng, 500, 50_000, 1_000) if period == "month" else _price(rng, 5_000, 300_000, 10_000)
        elif mode == "per_call":
            price = _price(rng, 0.1, 20, 1)
        elif mode == "free":
            price = 0
        else:
            term = None
        offers.append({"name": name, "name_en": name_en, "pricing_mode": mode, "billing_period": period,
                       "price_minor": price, "currency": "CNY" if rng.random() < 0.96 else "HKD",
                       "term_months": term, "licence": "非独占、不可转让的使用许可",
                       "usage_scope": "仅限约定场景内使用，不得转售或向第三方提供",
                       "instant": mode == "free" or (mode == "per_call" and rng.random() < 0.3)})
    return offers


@dataclass
class Chunk:
    """The rows of CHUNK consecutive listings, per table, as tuples in the table's column order."""

    number: int
    rows: dict[str, list[tuple]]
    counts: Counter
    listings: int


TABLES = ("products", "product_versions", "listings", "offers", "catalog_search")


def generate_chunk(spec: Spec, orgs: list[Org], number: int, dialect_name: str) -> Chunk:
    """Listings number*CHUNK+1 … (number+1)*CHUNK (fewer at the end), every row of each, converted for the dialect."""
    v = vocab()
    rng = random.Random(f"{spec.seed}:listings:{number}")
    owners = _owner_zipf(len(orgs))
    first = number * CHUNK + 1
    last = min(spec.listings, first + CHUNK - 1)
    converters = {name: _converter(name, dialect_name) for name in TABLES}
    rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
    counts: Counter = Counter()
    offer_id = _first_offer_id(number)
    for listing_id in range(first, last + 1):
        org = orgs[owners.pick(rng)]
        sector = org.sector if rng.random() < 0.7 else v.sectors.pick(rng)
        subject, subject_en = v.subjects[sector].pick(rng)
        kind, kind_en, product_type = v.kinds.pick(rng)
        place = _region(rng, org)
        name = f"{place.zh}{subject}{kind}"
        name_en = f"{place.en} {subject_en} {kind_en}"
        scenarios = _scenarios(rng, sector)
        holds_pi = sector in ("social_security", "health", "finance", "telecom") and rng.random() < 0.35
        deidentified = holds_pi and rng.random() < 0.7
        freq_code, freq_zh = rng.choice(FREQUENCIES[1:] if product_type != "api" else FREQUENCIES[:4])
        description = _description(rng, place=place, subject=subject, kind=kind, sector=sector, scenarios=scenarios,
                                   frequency=freq_zh, deidentified=deidentified)
        fields = _fields(rng, sector)
        security = "important" if holds_pi and rng.random() < 0.6 else SECURITY.pick(rng)
        delivery = _delivery(rng, product_type, holds_pi)
        licence_months = rng.choice((12, 12, 24, 36))
        offers = _offers(rng, product_type, licence_months)
        venue = sector if sector in ZONES and rng.random() < 0.3 else "main"
        # Listed in id order over three and a half years, so "newest" is the highest ids, with a little jitter.
        listed_at = EPOCH + LISTING_SPAN * (listing_id / spec.listings) - timedelta(minutes=rng.randint(0, 600))
        created_at = listed_at - timedelta(days=rng.randint(20, 200))
        user_id = org.id
        product = {"id": listing_id, "org_id": org.id, "created_by_id": user_id, "created_at": created_at}
        version = {
            "id": listing_id, "product_id": listing_id, "number": 1, "state": "registered", "lock_version": 1,
            "name": name, "name_en": name_en, "product_type": product_type, "sector": sector,
            "description": description, "scenarios": scenarios,
            "source_type": rng.choice(list(vocabulary.SOURCE_TYPES)),
            "source_description": f"{rng.choice(SOURCES)}的{subject}记录",
            "coverage_region": place.code, "coverage_population": rng.choice(POPULATIONS),
            "time_range_start": f"{rng.randint(2012, 2021)}-01-01", "time_range_end": "2024-12-31",
            "scale": f"约 {rng.randint(1, 999)} 万条记录", "update_frequency": freq_code, "field_dictionary": fields,
            "holds_pi": holds_pi, "sensitive_pi": holds_pi and rng.random() < 0.3, "deidentified": deidentified,
            "deidentification_method": "姓名、证件号码哈希与截断" if deidentified else "",
            "security_level": security, "delivery_modes": delivery, "cross_border_allowed": False,
            "rights": ["holding", "processing", "operating"], "usage_scope": offers[0]["usage_scope"],
            "no_onward_transfer": True, "licence_term_months": licence_months, "price_mode": offers[0]["pricing_mode"],
            "api_endpoint": f"https://api.provider{org.id}.example/v1/p{listing_id}" if "api" in delivery else "",
            "pi_subjects": rng.randint(1_000, 3_000_000) if holds_pi else None,
            "created_by_id": user_id, "submitted_by_id": user_id, "created_at": created_at,
            "updated_at": listed_at - timedelta(days=3), "submitted_at": created_at + timedelta(days=2),
        }
        prices = [o["price_minor"] for o in offers if o["price_minor"] is not None]
        listing = {
            "id": listing_id, "product_id": listing_id, "version_id": listing_id, "org_id": org.id,
            "state": "listed", "state_reason": "", "held_by_system": False, "venue": venue, "lock_version": 1,
            "created_by_id": user_id, "created_at": listed_at, "listed_at": listed_at, "updated_at": listed_at,
            "sector": sector, "product_type": product_type, "security_level": security, "region": place.code,
            "delivery_mask": sum(index.DELIVERY_BITS.get(code, 0) for code in set(delivery)),
            "pricing_mask": sum(index.PRICING_BITS.get(code, 0) for code in {o["pricing_mode"] for o in offers}),
            "min_price_minor": min(prices) if prices else None, "sort_name": name, "certificate_number": None,
        }
        pairs = index.facet_values(SimpleNamespace(organization=SimpleNamespace(uscc=org.uscc), **listing))
        counts.update(index.count_rows(pairs))
        terms = index.document_terms(name=name, name_en=name_en, provider=org.name, provider_en=org.name_en,
                                     scenarios=scenarios, sector=sector, product_type=product_type,
                                     field_dictionary=fields, description=description)
        search = {"listing_id": listing_id, "facets": pairs, **terms}
        rows["products"].append(converters["products"](product))
        rows["product_versions"].append(converters["product_versions"](version))
        rows["listings"].append(converters["listings"](listing))
        for position, offer in enumerate(offers):
            rows["offers"].append(converters["offers"]({
                "id": offer_id, "listing_id": listing_id, "position": position, "active": True,
                "created_at": listed_at, **offer}))
            offer_id += 1
        rows["catalog_search"].append(converters["catalog_search"](search))
    return Chunk(number=number, rows=rows, counts=counts, listings=last - first + 1)


ZONES = ("finance", "agriculture", "energy", "health", "social_security")  # the default MARKETPLACE_CATALOG_ZONES
MAX_OFFERS_PER_LISTING = 3


def _first_offer_id(chunk: int) -> int:
    # Offer ids are unique without knowing the earlier chunks' counts: each chunk owns CHUNK * 3 ids.
    return chunk * CHUNK * MAX_OFFERS_PER_LISTING + 1


_OWNERS: dict[int, Zipf] = {}


def _owner_zipf(count: int) -> Zipf:
    if count not in _OWNERS:
        # Offset in proportion to the number of providers: the shape is the same at every size (the biggest
        # 5% of providers hold about a quarter of the listings), not a handful of giants in a small catalog.
        _OWNERS[count] = Zipf(list(range(count)), s=1.0, offset=max(1.0, count / 20))
    return _OWNERS[count]


def _converter(table_name: str, dialect_name: str) -> Callable[[dict], tuple]:
    """A row dict → a tuple in column order, each value as the app's own column type would bind it."""
    table = db.metadata.tables[table_name]
    dialect = _dialect(dialect_name)
    steps = []
    for column in table.columns:
        if table_name == "catalog_search" and column.name == "document":
            continue
        default = column.default
        processor = None
        if dialect_name == "postgresql":
            if isinstance(column.type, db.JSON):
                processor = json.dumps   # psycopg's Json dumps with json.dumps too: the same text
            elif column.type.__class__.__name__ == "UTCDateTime":
                processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        else:
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        steps.append((column.name, default, processor))

    def convert(row: dict) -> tuple:
        out = []
        for name, default, processor in steps:
            if name in row:
                value = row[name]
            elif default is not None and default.is_scalar:
                value = default.arg
            elif default is not None and default.is_callable:
                value = default.arg(None)
            else:
                value = None
            out.append(processor(value) if processor is not None and value is not None else value)
        return tuple(out)

    return convert


def _dialect(name: str):
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql.psycopg import dialect
    else:
        from sqlalchemy.dialects.sqlite.pysqlite import dialect
    return dialect()


def table_columns(table_name: str) -> list[str]:
    """The columns the loader writes, in order (not the generated tsvector)."""
    return [c.name for c in db.metadata.tables[table_name].columns
            if not (table_name == "catalog_search" and c.name == "document")]


# ----------------------------------------------------------------------------------------------------------
# The bulk loader
# ----------------------------------------------------------------------------------------------------------

def _chunks(spec: Spec, orgs: list[Org], dialect_name: str, workers: int) -> Iterator[Chunk]:
    numbers = range(math.ceil(spec.listings / CHUNK))
    if workers <= 1:
        for number in numbers:
            yield generate_chunk(spec, orgs, number, dialect_name)
        return
    # A bounded window of chunks in flight: the workers never run far ahead of the writer (memory stays flat).
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_worker, initargs=(spec, orgs, dialect_name)) as pool:
        todo = iter(numbers)
        pending = deque(pool.apply_async(_worker_chunk, (n,)) for n in islice(todo, 2 * workers))
        while pending:
            chunk = pending.popleft().get()
            following = next(todo, None)
            if following is not None:
                pending.append(pool.apply_async(_worker_chunk, (following,)))
            yield chunk


_WORKER: dict = {}


def _init_worker(spec: Spec, orgs: list[Org], dialect_name: str) -> None:
    _WORKER.update(spec=spec, orgs=orgs, dialect=dialect_name)


def _worker_chunk(number: int) -> Chunk:
    return generate_chunk(_WORKER["spec"], _WORKER["orgs"], number, _WORKER["dialect"])


class _Writer:
    """Writes rows through the raw DB-API connection: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, raw, dialect_name: str) -> None:
        self.raw = raw
        self.dialect = dialect_name
        self.cursor = raw.cursor()

    def rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        if self.dialect == "postgresql":
            with self.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            self.cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def execute(self, statement: str) -> None:
        self.cursor.execute(statement)


LOADED_TABLES = ("organizations", "users", "products", "product_versions", "listings", "offers", "catalog_search",
                 "catalog_facet_counts")


def _secondary_indexes() -> list[Index]:
    return [ix for name in LOADED_TABLES for ix in db.metadata.tables[name].indexes]


def load(engine: Engine, spec: Spec, *, workers: int = 0, progress: Callable[[int, int], None] | None = None) -> dict:
    """Generate the catalog of `spec` into the app's (empty) tables; returns timings and row counts."""
    dialect_name = engine.dialect.name
    started = time.perf_counter()
    orgs = organizations(spec)
    timings: dict[str, float] = {}
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        writer = _Writer(connection, dialect_name)
        if dialect_name == "sqlite":
            writer.execute("PRAGMA synchronous=OFF")
            writer.execute("PRAGMA journal_mode=MEMORY")
            writer.execute("BEGIN")
        else:
            writer.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for name in LOADED_TABLES:
            writer.execute(f'SELECT 1 FROM "{name}" LIMIT 1')
            if writer.cursor.fetchone() is not None:
                raise RuntimeError(f"{name} is not empty: the loader needs empty catalog tables")
        indexes = _secondary_indexes()
        for ix in indexes:
            writer.execute(f'DROP INDEX "{ix.name}"')
        if dialect_name == "sqlite":
            writer.execute("DROP TRIGGER catalog_search_ai")
        else:
            writer.execute("DROP INDEX ix_catalog_search_document")

        org_convert, user_convert = _converter("organizations", dialect_name), _converter("users", dialect_name)
        writer.rows("organizations", table_columns("organizations"), [org_convert({
            "id": o.id, "name": o.name, "name_en": o.name_en, "uscc": o.uscc, "kind": "provider", "state": "approved",
            "description": f"{o.name}，数据产品提供方。", "created_at": EPOCH - timedelta(days=30)}) for o in orgs])
        writer.rows("users", table_columns("users"), [user_convert({
            "id": o.id, "email": f"broker{o.id}@provider{o.id}.example", "name": f"经纪人{o.id}",
            "password_hash": "!", "role": "broker", "org_id": o.id, "is_org_admin": True,
            "created_at": EPOCH - timedelta(days=30)}) for o in orgs])
        totals: Counter = Counter()
        counts: Counter = Counter()
        done = 0
        columns = {name: table_columns(name) for name in TABLES}
        generate_started = time.perf_counter()
        for chunk in _chunks(spec, orgs, dialect_name, workers):
            for name in TABLES:
                writer.rows(name, columns[name], chunk.rows[name])
                totals[name] += len(chunk.rows[name])
            counts.update(chunk.counts)
            done += chunk.listings
            if progress:
                progress(done, spec.listings)
        timings["generate_and_write_s"] = time.perf_counter() - generate_started
        step = time.perf_counter()
        count_convert = _converter("catalog_facet_counts", dialect_name)
        facet_rows = [count_convert({"filter_key": key, "facet": facet, "value": value, "n": n})
                      for (key, facet, value), n in sorted(counts.items()) if n]
        writer.rows("catalog_facet_counts", table_columns("catalog_facet_counts"), facet_rows)
        totals["catalog_facet_counts"] = len(facet_rows)
        timings["facet_counts_s"] = time.perf_counter() - step

        step = time.perf_counter()
        for ix in indexes:
            writer.execute(str(_create_index_sql(ix, engine)))
        if dialect_name == "sqlite":
            writer.execute("INSERT INTO catalog_fts(catalog_fts) VALUES ('rebuild')")
            writer.execute(search_index.SQLITE_DDL[1])
        else:
            writer.execute(search_index.POSTGRES_DDL[1])
            for name in ("organizations", "users", "products", "product_versions", "listings", "offers"):
                writer.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM \"{name}\"))")
        timings["indexes_s"] = time.perf_counter() - step
        step = time.perf_counter()
        if dialect_name == "sqlite":
            writer.execute("COMMIT")
            writer.execute("PRAGMA journal_mode=WAL")
            writer.execute("PRAGMA synchronous=FULL")
        else:
            connection.commit()
        timings["commit_s"] = time.perf_counter() - step
        step = time.perf_counter()
        _analyze(connection, dialect_name)
        timings["analyze_s"] = time.perf_counter() - step
    except BaseException:
        if dialect_name == "sqlite":
            try:
                connection.execute("ROLLBACK")
            except Exception:  # noqa: BLE001, S110 - nothing to roll back
                pass
        else:
            connection.rollback()
        raise
    finally:
        raw.close()
    timings["total_s"] = time.perf_counter() - started
    totals["organizations"] = totals["users"] = len(orgs)
    return {"timings": {k: round(v, 2) for k, v in timings.items()}, "rows": dict(totals)}


def _create_index_sql(ix: Index, engine: Engine):
    from sqlalchemy.schema import CreateIndex

    return CreateIndex(ix).compile(dialect=engine.dialect)


def _analyze(connection, dialect_name: str) -> None:
    """Statistics for the planner (and, on PostgreSQL, a vacuumed visibility map, as autovacuum would leave it)."""
    if dialect_name == "sqlite":
        connection.execute("ANALYZE")
        return
    autocommit = connection.autocommit
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for name in LOADED_TABLES:
                cursor.execute(f'VACUUM (ANALYZE) "{name}"')
    finally:
        connection.autocommit = autocommit
