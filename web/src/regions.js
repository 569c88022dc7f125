// GB/T 2260 province-level divisions (the first two digits of a region code), to name a
// learner's or a statistic's region beside its code. The codes are fixed by the standard; the
// bank keeps city and county codes as given (engine/regions.h), so only provinces are named.
import {t} from './i18n.js';

const PROVINCES = {
  11: ['北京市', 'Beijing'], 12: ['天津市', 'Tianjin'], 13: ['河北省', 'Hebei'], 14: ['山西省', 'Shanxi'],
  15: ['内蒙古自治区', 'Inner Mongolia'], 21: ['辽宁省', 'Liaoning'], 22: ['吉林省', 'Jilin'],
  23: ['黑龙江省', 'Heilongjiang'], 31: ['上海市', 'Shanghai'], 32: ['江苏省', 'Jiangsu'], 33: ['浙江省', 'Zhejiang'],
  34: ['安徽省', 'Anhui'], 35: ['福建省', 'Fujian'], 36: ['江西省', 'Jiangxi'], 37: ['山东省', 'Shandong'],
  41: ['河南省', 'Henan'], 42: ['湖北省', 'Hubei'], 43: ['湖南省', 'Hunan'], 44: ['广东省', 'Guangdong'],
  45: ['广西壮族自治区', 'Guangxi'], 46: ['海南省', 'Hainan'], 50: ['重庆市', 'Chongqing'], 51: ['四川省', 'Sichuan'],
  52: ['贵州省', 'Guizhou'], 53: ['云南省', 'Yunnan'], 54: ['西藏自治区', 'Xizang'], 61: ['陕西省', 'Shaanxi'],
  62: ['甘肃省', 'Gansu'], 63: ['青海省', 'Qinghai'], 64: ['宁夏回族自治区', 'Ningxia'],
  65: ['新疆维吾尔自治区', 'Xinjiang'], 71: ['台湾省', 'Taiwan'], 81: ['香港特别行政区', 'Hong Kong'],
  82: ['澳门特别行政区', 'Macao'],
};

// Whether `code` is six digits whose first two name a province (as the server checks).
export function isRegionCode(code) {
  return /^\d{6}$/.test(code) && Object.hasOwn(PROVINCES, code.slice(0, 2));
}

// The province's name in the portal's language, or null.
export function provinceName(code) {
  const p = typeof code === 'string' ? PROVINCES[code.slice(0, 2)] : undefined;
  return p ? t(p) : null;
}

// "310101（上海市）" / "310101 (Shanghai)".
export function regionLabel(code) {
  const name = provinceName(code);
  if (!name) return code;
  return t(['{code}（{name}）', '{code} ({name})'], {code, name});
}
