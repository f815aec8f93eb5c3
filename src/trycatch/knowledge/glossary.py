"""A bilingual glossary of generic software-support vocabulary, for cross-lingual queries.

Customers write in their own language; documentation is often English only. At query time
the words of a message that the index does not know are looked up here and their English
equivalents are added to the search terms. The vocabulary is product-neutral: accounts,
sign-in, billing, email sending, DNS, APIs, errors and limits, in Chinese (simplified and
traditional), Japanese, Korean, Spanish, Portuguese, French and German.

Chinese and Japanese write without spaces and Korean attaches particles to nouns, so their
forms are found inside the text (longest match first). Latin-script forms are compared after
stemming with their language's Snowball stemmer, so inflected forms match too.
"""

# ruff: noqa: E501 -- the glossary is a table, one concept a row, wider than code lines.
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

# One concept a line: English | Chinese | Japanese | Korean | Spanish | Portuguese | French |
# German. Forms within a column are separated by commas; Chinese lists simplified and
# traditional spellings.
_TABLE = """
email | 邮件,电子邮件,邮箱,電子郵件,郵件,郵箱,电邮,電郵,信件 | メール,電子メール,eメール | 이메일,메일,전자우편 | correo,correo electrónico,email | e-mail,correio eletrônico | courriel,e-mail,mail | e-mail,mail
email address | 邮箱地址,邮件地址,郵件地址,電郵地址,电子邮箱 | メールアドレス,アドレス | 이메일 주소,메일 주소 | dirección de correo | endereço de e-mail | adresse e-mail,adresse mail | e-mail-adresse,mailadresse
send | 发送,发信,发件,寄送,發送,寄信,發信,发邮件,發郵件 | 送信,送る,配信 | 발송,전송,보내기,보내 | enviar,envío | enviar,envio | envoyer,envoi | senden,versenden,verschicken
sent email | 已发送,已發送 | 送信済み | 발송됨,보낸 메일 | enviado | enviado | envoyé | gesendet
receive | 接收,收件,收信,收到,收取 | 受信,受け取る,受け取り | 수신,받기,받은 | recibir,recibido | receber,recebido | recevoir,reçu | empfangen,erhalten
inbound email | 入站邮件,收件箱,收件匣 | 受信メール,受信トレイ | 받은편지함,수신함 | bandeja de entrada | caixa de entrada | boîte de réception | posteingang,eingang
forward | 转发,轉寄,轉發 | 転送 | 전달,포워딩 | reenviar | encaminhar,reencaminhar | transférer | weiterleiten,weiterleitung
reply | 回复,回覆,答复 | 返信,返答 | 답장,회신 | responder,respuesta | responder,resposta | répondre,réponse | antworten,antwort
sender | 发件人,发信人,寄件人,發件人 | 送信者,差出人 | 발신자,보낸 사람 | remitente | remetente | expéditeur | absender
recipient | 收件人,收信人 | 宛先,受信者 | 수신자,받는 사람 | destinatario | destinatário | destinataire | empfänger
subject | 主题,主旨,標題,邮件标题 | 件名 | 제목 | asunto | assunto | objet,sujet | betreff
body content | 正文,内容,內容 | 本文,内容 | 본문,내용 | cuerpo,contenido | corpo,conteúdo | corps,contenu | inhalt,nachrichtentext
domain | 域名,网域,網域,域 | ドメイン | 도메인 | dominio | domínio | domaine | domain,domäne
subdomain | 二级域名,子域名,二級域名,子網域,子域 | サブドメイン | 서브도메인,하위 도메인 | subdominio | subdomínio | sous-domaine | subdomain
root domain | 根域名,主域名,顶级域名,頂級域名 | ルートドメイン,独自ドメイン | 루트 도메인 | dominio raíz | domínio raiz | domaine racine | hauptdomain,stammdomain
verify verification | 验证,驗證,认证,認證,校验,核实 | 検証,認証,確認,認証済み | 인증,확인,검증 | verificar,verificación,verificado | verificar,verificação,verificado | vérifier,vérification,vérifié | verifizieren,verifizierung,bestätigen,bestätigung
verified | 已验证,已驗證,验证通过,驗證通過 | 認証済み,確認済み | 인증됨,인증 완료 | verificado | verificado | vérifié | verifiziert
not verified pending | 未验证,未驗證,验证中,待验证 | 未認証,保留中 | 미인증,대기 중,보류 | pendiente,no verificado | pendente,não verificado | en attente,non vérifié | ausstehend,nicht verifiziert
dns record | dns记录,解析记录,dns紀錄,dns記錄,解析紀錄 | レコード,dnsレコード | 레코드,dns 레코드 | registro,registros dns | registro,registros dns | enregistrement,enregistrements dns | eintrag,dns-eintrag,dns-einträge
dns | 解析,域名解析,dns设置 | 名前解決 | 네임서버 | servidor dns | servidor dns | serveur dns | nameserver
nameserver | 域名服务器,名称服务器 | ネームサーバー | 네임서버 | servidor de nombres | servidor de nomes | serveur de noms | namensserver
propagation | 生效,传播,傳播 | 反映,伝播 | 전파,반영 | propagación | propagação | propagation | propagierung,verbreitung
add | 添加,新增,增加,加入,绑定,綁定 | 追加,登録 | 추가,등록 | añadir,agregar | adicionar | ajouter | hinzufügen
delete remove | 删除,刪除,移除,注销,註銷 | 削除,消去 | 삭제,제거 | eliminar,borrar | excluir,apagar,remover | supprimer,effacer | löschen,entfernen
update | 更新,修改,更改 | 更新,変更 | 업데이트,수정,변경 | actualizar | atualizar | mettre à jour,modifier | aktualisieren,ändern
change | 更换,变更,變更,更換,修改 | 変更 | 변경 | cambiar | alterar,mudar | changer | ändern,wechseln
create | 创建,建立,新建,創建 | 作成,新規作成 | 생성,만들기 | crear | criar | créer | erstellen,anlegen
edit | 编辑,編輯 | 編集 | 편집 | editar | editar | éditer | bearbeiten
account | 账号,账户,帐号,帐户,帳號,帳戶 | アカウント | 계정 | cuenta | conta | compte | konto
sign up register | 注册,註冊,开户 | 登録,サインアップ,新規登録 | 가입,회원가입 | registrarse,registro | cadastro,cadastrar,registrar | inscription,s'inscrire | registrieren,registrierung,anmelden
login sign in | 登录,登陆,登入,登錄 | ログイン,サインイン | 로그인 | iniciar sesión,acceso | entrar | connexion,se connecter | einloggen,anmeldung
logout | 退出登录,登出,注销登录 | ログアウト | 로그아웃 | cerrar sesión | sair | déconnexion | abmelden,ausloggen
password | 密码,密碼,口令 | パスワード | 비밀번호,패스워드,암호 | contraseña,clave | senha | mot de passe | passwort,kennwort
username | 用户名,用戶名,账号名,使用者名稱 | ユーザー名,ユーザ名 | 사용자 이름,아이디 | nombre de usuario,usuario | nome de usuário,usuário | nom d'utilisateur,identifiant | benutzername
user | 用户,用戶,使用者 | ユーザー,ユーザ | 사용자,유저,회원 | usuario | usuário | utilisateur | benutzer,nutzer
two factor authentication | 双重验证,两步验证,雙重驗證,二次验证,多因素认证 | 二段階認証,二要素認証 | 2단계 인증,이중 인증 | verificación en dos pasos,autenticación de dos factores | autenticação de dois fatores | authentification à deux facteurs,double authentification | zwei-faktor-authentifizierung
authentication | 身份验证,鉴权,鑑權,认证失败 | 認証エラー | 인증 실패 | autenticación | autenticação | authentification | authentifizierung
permission | 权限,權限,许可 | 権限,許可 | 권한,허가 | permiso,permisos | permissão,permissões | permission,autorisation | berechtigung,berechtigungen
access | 访问,訪問,存取 | アクセス | 접근,액세스 | acceso | acesso | accès | zugriff,zugang
api key | api密钥,apikey,api金钥,api金鑰 | apiキー | api 키 | clave api,clave de api | chave api,chave de api | clé api | api-schlüssel
key secret | 密钥,密鑰,金钥,秘钥 | キー,シークレット,鍵 | 키,비밀 키 | clave,secreto | chave,segredo | clé,secret | schlüssel,geheimnis
token | 令牌,凭证,憑證 | トークン | 토큰 | token | token | jeton | token
free plan | 免费,免費,免费版,免費版,免费账号,免費方案,免费套餐 | 無料,無料プラン,フリープラン | 무료,무료 플랜,무료 요금제 | gratis,gratuito,plan gratuito | grátis,gratuito,plano gratuito | gratuit,gratuite,offre gratuite,plan gratuit | kostenlos,gratis
paid plan | 付费,付費,付费版,收费,收費 | 有料,有料プラン | 유료,유료 플랜 | plan de pago,cuenta de pago | pago,plano pago | payant,offre payante | kostenpflichtig,bezahlt
pro plan upgrade | 升级,升級,专业版,專業版,高级版 | アップグレード,プロプラン | 업그레이드,프로 플랜 | mejorar plan,actualizar plan | upgrade,plano pro | mise à niveau,passer au plan | upgraden,upgrade
downgrade | 降级,降級 | ダウングレード | 다운그레이드 | bajar de plan | rebaixar | rétrograder | downgraden
plan pricing | 套餐,方案,计划,價格,价格,定价,定價,费用,費用 | プラン,料金,価格,料金プラン | 요금제,플랜,가격,요금 | plan,precio,precios,tarifa | plano,preço,preços | plan,offre,tarif,prix | tarif,preis,preise
billing | 账单,帳單,计费,計費,结算 | 請求,課金 | 청구,결제 정보 | facturación | cobrança,faturamento | facturation | abrechnung
invoice | 发票,發票 | 請求書,領収書,インボイス | 청구서,송장,영수증 | factura | fatura,nota fiscal | facture | rechnung
payment | 支付,付款,缴费,扣款 | 支払い,決済 | 결제,지불 | pago | pagamento | paiement | zahlung,bezahlung
credit card | 信用卡,银行卡,銀行卡 | クレジットカード | 신용카드,카드 | tarjeta,tarjeta de crédito | cartão,cartão de crédito | carte,carte bancaire,carte de crédit | kreditkarte,karte
refund | 退款 | 返金 | 환불 | reembolso | reembolso | remboursement | rückerstattung
charge | 扣费,扣費,收费,重复扣款 | 請求額,課金 | 청구,요금 부과 | cargo,cobro | cobrança | prélèvement,facturé | belastung,abbuchung
cancel subscription | 取消订阅,取消套餐,退订套餐 | 解約,サブスクリプション解除 | 구독 취소,해지 | cancelar suscripción | cancelar assinatura | annuler l'abonnement,résilier | kündigen,abo kündigen
subscription | 订阅,訂閱 | サブスクリプション,購読 | 구독 | suscripción | assinatura | abonnement | abonnement,abo
limit | 限制,上限,限额,限額,额度,額度 | 上限,制限 | 한도,제한 | límite,limitado | limite,limitado | limite,limité,limitée | limit,grenze,begrenzt,beschränkung
quota | 配额,配額,定额 | 割り当て,クォータ | 할당량 | cuota | cota | quota | kontingent
rate limit | 速率限制,频率限制,頻率限制,限流,请求过多,請求過多 | レート制限 | 속도 제한,요청 한도 | límite de velocidad,demasiadas solicitudes | limite de taxa,muitas requisições | limite de débit,trop de requêtes | ratenbegrenzung,zu viele anfragen
per day daily | 每天,每日,一天,日限,天 | 1日,毎日,日 | 하루,매일,일일,일 | por día,diario,día | por dia,diário,dia | par jour,quotidien,jour | pro tag,täglich,tag
per month monthly | 每月,一个月,月 | 月間,毎月,月 | 매월,월간,월 | por mes,mensual,mes | por mês,mensal,mês | par mois,mensuel,mois | pro monat,monatlich,monat
hour | 小时,小時,个小时 | 時間 | 시간 | hora,horas | hora,horas | heure,heures | stunde,stunden
minute | 分钟,分鐘 | 分間 | 분 | minuto,minutos | minuto,minutos | minute,minutes | minute,minuten
error | 错误,錯誤,报错,報錯,出错,出錯,异常,異常 | エラー,異常 | 오류,에러 | error,errores | erro,erros | erreur,erreurs | fehler,fehlermeldung
fail failed | 失败,失敗,不成功,发不出,發不出,无法发送 | 失敗,できない,送れない | 실패,안됨,안 됨 | fallo,falla,fallido,falló | falha,falhou | échec,échoue,échoué | fehlgeschlagen,scheitert
bounce | 退信,退回,弹回,彈回,被退回 | バウンス,不達 | 반송,바운스 | rebote,rebotado | devolução,bounce,rejeitado | rebond,rejeté | unzustellbar,bounce
spam | 垃圾邮件,垃圾郵件,垃圾箱,垃圾邮件箱 | 迷惑メール,スパム | 스팸,스팸함 | correo no deseado,spam | lixo eletrônico,spam | courrier indésirable,indésirable,spam | spam,spam-ordner
junk folder | 垃圾文件夹,垃圾信件 | 迷惑メールフォルダ | 정크 메일 | carpeta de spam | pasta de spam | dossier spam | junk-ordner
unsubscribe | 退订,退訂,取消订阅,取消訂閱 | 配信停止,購読解除 | 수신 거부,구독 취소 | darse de baja,cancelar suscripción | cancelar inscrição,descadastrar | se désabonner,désinscription,désabonnement | abbestellen,abmelden
complaint | 投诉,投訴,举报 | 苦情,報告 | 신고,불만 | queja,denuncia | reclamação,denúncia | plainte | beschwerde
suppression list | 抑制列表,黑名单,黑名單 | 抑制リスト,ブラックリスト | 차단 목록,블랙리스트 | lista de supresión,lista negra | lista de supressão,lista negra | liste de suppression,liste noire | sperrliste
deliverability | 送达率,到达率,送達率,投递率,進箱率 | 到達率,配信率 | 전달률,도달률 | entregabilidad | entregabilidade | délivrabilité | zustellbarkeit
delivered delivery | 送达,送達,投递,投遞,到达 | 配達,到達,届く,届かない | 전달,도착,배달 | entregado,entrega | entregue,entrega | livré,livraison,remis | zugestellt,zustellung
not received | 收不到,没收到,沒收到,未收到 | 届かない,受信できない | 받지 못,수신되지 않 | no recibido,no llega | não recebi,não chega | pas reçu,n'arrive pas | nicht erhalten,kommt nicht an
reputation | 信誉,信譽,声誉 | 評判,レピュテーション | 평판 | reputación | reputação | réputation | reputation,ruf
warm up | 预热,預熱 | ウォームアップ | 워밍업 | calentamiento | aquecimento | préchauffage,montée en charge | aufwärmen
dedicated ip | 独立ip,专用ip,獨立ip,專用ip | 専用ip | 전용 ip | ip dedicada | ip dedicado | ip dédiée | dedizierte ip
template | 模板,模版,範本 | テンプレート | 템플릿 | plantilla | modelo,template | modèle | vorlage
attachment | 附件,附檔,附档 | 添付,添付ファイル | 첨부,첨부파일,첨부 파일 | adjunto,archivo adjunto | anexo | pièce jointe | anhang,dateianhang
file | 文件,檔案 | ファイル | 파일 | archivo | arquivo | fichier | datei
image | 图片,圖片,图像,圖像 | 画像 | 이미지,사진 | imagen | imagem | image | bild
inline embed | 内嵌,嵌入,內嵌 | 埋め込み,インライン | 삽입,인라인 | incrustado,en línea | incorporado,embutido | intégré,incorporé | eingebettet
html | 网页格式,超文本 | html形式 | html 형식 | formato html | formato html | format html | html-format
plain text | 纯文本,純文字 | プレーンテキスト,テキスト形式 | 일반 텍스트 | texto plano | texto simples | texte brut | nur-text
log logs | 日志,日誌,记录,紀錄,发送记录,發送記錄 | ログ,履歴,送信履歴 | 로그,내역,기록 | registro,registros | registro,registros,log | journal,journaux | protokoll,logs
history | 历史,歷史,历史记录 | 履歴 | 내역,기록,이력 | historial | histórico | historique | verlauf
webhook | 回调,回調,网络钩子,網路鉤子,钩子 | ウェブフック | 웹훅 | webhook | webhook | webhook | webhook
event | 事件 | イベント | 이벤트 | evento | evento | événement | ereignis
notification | 通知,提醒,提示 | 通知,お知らせ | 알림,통지 | notificación,aviso,alerta | notificação,aviso,alerta | notification,alerte,avertissement | benachrichtigung,warnung
test | 测试,測試 | テスト | 테스트 | prueba,probar | teste,testar | test,tester | test,testen
development | 开发,開發,本地,本地开发 | 開発,ローカル | 개발,로컬 | desarrollo,local | desenvolvimento,local | développement,local | entwicklung,lokal
production | 生产环境,生產環境,正式环境,线上 | 本番,本番環境 | 운영 환경,프로덕션 | producción | produção | production | produktion
settings | 设置,設置,設定,配置 | 設定 | 설정 | configuración,ajustes | configurações,definições | paramètres,réglages | einstellungen
configuration | 配置,組態 | 構成,コンフィグ | 구성 | configurar | configurar | configurer | konfiguration,konfigurieren
dashboard | 控制台,后台,後台,仪表板,儀表板,面板,管理面板 | ダッシュボード,管理画面 | 대시보드,관리자 페이지 | panel,panel de control | painel | tableau de bord | dashboard,übersicht
smtp | smtp服务,邮件服务器 | smtpサーバー | smtp 서버 | servidor smtp | servidor smtp | serveur smtp | smtp-server
server | 服务器,伺服器 | サーバー,サーバ | 서버 | servidor | servidor | serveur | server
port | 端口,埠 | ポート | 포트 | puerto | porta | port | port
host | 主机,主機 | ホスト | 호스트 | anfitrión,host | host | hôte | host
hosting provider | 域名商,服务商,服務商,托管 | ホスティング,レジストラ | 호스팅,등록기관 | proveedor,alojamiento | provedor,hospedagem | hébergeur,fournisseur | anbieter,hoster
request | 请求,請求 | リクエスト | 요청 | solicitud,petición | requisição,solicitação | requête,demande | anfrage
response | 响应,回應,返回 | レスポンス,応答 | 응답 | respuesta | resposta | réponse | antwort
status | 状态,狀態 | ステータス,状態 | 상태 | estado | status,estado | statut,état | status
pending | 待处理,待處理,等待中,处理中 | 保留,待機中,処理中 | 대기,처리 중 | en espera,pendiente | pendente,aguardando | en attente | wartend,ausstehend
wait | 等待,等了 | 待つ,待機 | 기다림,대기 | esperar | esperar,aguardar | attendre | warten
timeout | 超时,超時 | タイムアウト | 시간 초과,타임아웃 | tiempo de espera | tempo limite | délai d'attente | zeitüberschreitung
retry | 重试,重試,重发,重發 | 再試行,リトライ,再送 | 재시도,재전송 | reintentar,reintento | tentar novamente | réessayer,nouvelle tentative | wiederholen
batch | 批量,批次,群发,群發 | 一括,バッチ | 일괄,배치,대량 | lote,masivo | lote,em massa | lot,en masse | stapel,massenversand
multiple | 多个,多個,多条,多封 | 複数 | 여러,여러 개,다수 | múltiples,varios | múltiplos,vários | plusieurs,multiples | mehrere
schedule | 定时,定時,预定,排程,计划发送 | 予約,スケジュール,予約送信 | 예약,일정 | programar,programado | agendar,agendado | programmer,planifier | planen,zeitgesteuert
cancel | 取消 | キャンセル,取り消し | 취소 | cancelar | cancelar | annuler | abbrechen,stornieren
broadcast | 广播,群发邮件,营销邮件,營銷郵件 | 一斉配信,ブロードキャスト | 브로드캐스트,대량 발송 | difusión,campaña | transmissão,campanha | diffusion,campagne | rundsendung,kampagne,newsletter
contact | 联系人,聯絡人,联络人 | 連絡先,コンタクト | 연락처 | contacto | contato | contact | kontakt
audience | 受众,受眾,订阅者,訂閱者 | オーディエンス,購読者 | 구독자,대상 | audiencia,suscriptores | audiência,assinantes | audience,abonnés | zielgruppe,abonnenten
segment | 分组,分組,细分 | セグメント | 세그먼트 | segmento | segmento | segment | segment
team | 团队,團隊 | チーム | 팀 | equipo | equipe | équipe | team
member | 成员,成員 | メンバー | 멤버,구성원 | miembro | membro | membre | mitglied
invite | 邀请,邀請 | 招待 | 초대 | invitar,invitación | convidar,convite | inviter,invitation | einladen,einladung
organization | 组织,組織,公司 | 組織,会社 | 조직,회사 | organización,empresa | organização,empresa | organisation,entreprise | organisation,firma,unternehmen
customer | 客户,客戶 | 顧客,お客様 | 고객 | cliente | cliente | client | kunde
support | 客服,技术支持,技術支援 | サポート | 고객지원,지원팀 | soporte | suporte | support,assistance | support,kundendienst
documentation | 文档,文檔,說明文件 | ドキュメント | 문서 | documentación | documentação | documentation | dokumentation
sdk library | 库,函数库,程式庫 | ライブラリ | 라이브러리 | librería,biblioteca | biblioteca | bibliothèque | bibliothek
integration | 集成,整合,对接,對接 | 連携,統合 | 연동,통합 | integración | integração | intégration | integration
environment variable | 环境变量,環境變數 | 環境変数 | 환경 변수 | variable de entorno | variável de ambiente | variable d'environnement | umgebungsvariable
deploy | 部署,一键部署 | デプロイ | 배포 | desplegar,despliegue | implantar,implantação | déployer,déploiement | bereitstellen,deployment
version | 版本 | バージョン | 버전 | versión | versão | version | version
header | 邮件头,头部,標頭 | ヘッダー | 헤더 | encabezado,cabecera | cabeçalho | en-tête | header,kopfzeile
link | 链接,鏈接,連結 | リンク | 링크 | enlace | link | lien | link
click tracking | 点击,點擊,点击跟踪 | クリック | 클릭 | clic | clique | clic | klick
open tracking | 打开率,打開率,开信率 | 開封,開封率 | 오픈율,열람 | apertura,tasa de apertura | abertura,taxa de abertura | ouverture,taux d'ouverture | öffnungsrate
tracking | 追踪,跟踪,追蹤 | トラッキング,追跡 | 추적,트래킹 | seguimiento | rastreamento | suivi | tracking,verfolgung
block suspend | 封号,封號,封禁,封锁,停用,冻结,凍結 | 停止,凍結,ブロック,利用停止 | 정지,차단,계정 정지 | bloqueado,suspendido,suspendida | bloqueado,suspenso,suspensa | bloqué,suspendu | gesperrt,gesperrt,sperre
unblock | 解封,解除封禁 | 解除 | 해제,정지 해제 | desbloquear | desbloquear | débloquer | entsperren
approve review | 审核,審核,批准,审批 | 承認,審査 | 승인,심사,검토 | aprobar,aprobación,revisión | aprovar,aprovação | approuver,approbation,examen | genehmigen,freigabe,prüfung
abuse | 滥用,濫用 | 不正利用 | 남용,악용 | abuso | abuso | abus | missbrauch
security | 安全,安全性 | セキュリティ | 보안 | seguridad | segurança | sécurité | sicherheit
leak | 泄露,洩露,泄漏 | 漏洩,流出 | 유출 | filtrado,filtración | vazado,vazamento | fuite,divulgué | geleakt,leck
privacy | 隐私,隱私 | プライバシー | 개인정보 | privacidad | privacidade | confidentialité | datenschutz
gdpr data deletion | 个人数据,個人資料 | 個人データ,個人情報 | 개인 데이터 | datos personales | dados pessoais | données personnelles | personenbezogene daten
export | 导出,匯出,導出 | エクスポート | 내보내기 | exportar | exportar | exporter | exportieren
import | 导入,匯入,導入 | インポート | 가져오기 | importar | importar | importer | importieren
download | 下载,下載 | ダウンロード | 다운로드 | descargar | baixar | télécharger | herunterladen
upload | 上传,上傳 | アップロード | 업로드 | subir,cargar | enviar arquivo,carregar | téléverser | hochladen
size | 大小,尺寸 | サイズ,容量 | 크기,용량 | tamaño | tamanho | taille | größe
type format | 格式,类型,類型 | 形式,種類 | 형식,유형 | formato,tipo | formato,tipo | format,type | format,typ
name | 名称,名稱,名字 | 名前 | 이름 | nombre | nome | nom | name
display name | 显示名称,顯示名稱,发件人名称,發件人名稱,昵称 | 表示名 | 표시 이름 | nombre visible | nome de exibição | nom d'affichage | anzeigename
logo avatar | 头像,頭像,图标,圖標 | アバター,ロゴ,アイコン | 로고,아바타,프로필 사진 | logotipo,avatar | logotipo,avatar | logo,avatar | logo,avatar
signature | 签名,簽名 | 署名 | 서명 | firma | assinatura | signature | signatur
region | 地区,地區,区域,區域 | リージョン,地域 | 리전,지역 | región | região | région | region
ip address | ip地址,ip位址 | ipアドレス | ip 주소 | dirección ip | endereço ip | adresse ip | ip-adresse
ssl certificate | 证书,證書 | 証明書 | 인증서 | certificado | certificado | certificat | zertifikat
encryption tls | 加密 | 暗号化 | 암호화 | cifrado | criptografia | chiffrement | verschlüsselung
cors | 跨域 | クロスオリジン | 교차 출처 | origen cruzado | origem cruzada | cross-origin | cross-origin
code example | 示例,範例,例子,代码,程式碼 | サンプル,コード | 예제,코드 | ejemplo,código | exemplo,código | exemple,code | beispiel,code
migrate | 迁移,遷移 | 移行 | 마이그레이션,이전 | migrar,migración | migrar,migração | migrer,migration | migrieren,migration
mx record | mx记录 | mxレコード | mx 레코드 | registro mx | registro mx | enregistrement mx | mx-eintrag
txt record | txt记录 | txtレコード | txt 레코드 | registro txt | registro txt | enregistrement txt | txt-eintrag
unsupported | 不支持,不支援 | 未対応,サポートされていない | 지원되지 않,미지원 | no compatible,no soportado | não suportado | non pris en charge | nicht unterstützt
supported | 支持,支援 | 対応,サポート | 지원 | compatible,soportado | suportado | pris en charge | unterstützt
duplicate | 重复,重複 | 重複 | 중복 | duplicado | duplicado | doublon,dupliqué | doppelt,duplikat
already exists | 已存在,已被注册,已被註冊,已被使用 | 既に存在,登録済み | 이미 존재,이미 등록 | ya existe | já existe | existe déjà | existiert bereits
owner transfer | 转移,轉移,所有者 | 移管,所有者 | 이전,소유자 | transferir,propietario | transferir,proprietário | transférer,propriétaire | übertragen,eigentümer
consent | 同意 | 同意 | 동의 | consentimiento | consentimento | consentement | einwilligung,zustimmung
marketing | 营销,營銷,行销,推广 | マーケティング | 마케팅 | marketing | marketing | marketing | marketing
transactional | 事务性,交易邮件,通知邮件 | トランザクション | 트랜잭션 | transaccional | transacional | transactionnel | transaktional
magic link | 魔法链接,登录链接 | マジックリンク,ログインリンク | 매직 링크,로그인 링크 | enlace mágico | link mágico | lien magique | magic link,anmeldelink
verification code otp | 验证码,驗證碼 | 認証コード,確認コード | 인증 코드,인증번호 | código de verificación | código de verificação | code de vérification | bestätigungscode
reset password | 重置密码,重設密碼,找回密码 | パスワードリセット,パスワード再設定 | 비밀번호 재설정 | restablecer contraseña | redefinir senha | réinitialiser le mot de passe | passwort zurücksetzen
queue | 队列,隊列,佇列 | キュー | 대기열 | cola | fila | file d'attente | warteschlange
slow delay | 延迟,延遲,很慢,慢 | 遅延,遅い | 지연,느림 | retraso,lento | atraso,lento | retard,lent | verzögerung,langsam
statistics analytics | 统计,統計,数据分析 | 統計,分析 | 통계,분석 | estadísticas | estatísticas | statistiques | statistik
"""

_LATIN_LANGUAGES = ("spanish", "portuguese", "french", "german")
_COLUMNS = ("zh", "ja", "ko", *_LATIN_LANGUAGES)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# A CJK run, with the Latin word it may start with ("api密钥", "dns 레코드") and the spaces
# between Korean words.
_CJK_RUN = re.compile(f"(?:[a-z0-9]+ ?)?{_CJK.pattern}+(?: ?{_CJK.pattern}+)*")
_LATIN_WORD = re.compile(r"[^\W\d_]+")
MAX_PHRASE_WORDS = 4

_stemmers = {language: Stemmer.Stemmer(language) for language in _LATIN_LANGUAGES}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


@lru_cache(maxsize=50_000)
def _latin_stems(word: str) -> tuple[tuple[str, str], ...]:
    return tuple((language, _stemmers[language].stemWord(word)) for language in _LATIN_LANGUAGES)


def _build() -> tuple[dict[str, str], dict[tuple[str, tuple[str, ...]], str]]:
    """(CJK form -> English, (language, stemmed words) -> English)."""
    cjk: dict[str, str] = {}
    latin: dict[tuple[str, tuple[str, ...]], str] = {}
    for line in _TABLE.strip().splitlines():
        english, *columns = (cell.strip() for cell in line.split("|"))
        for column, cell in zip(_COLUMNS, columns, strict=True):
            for form in filter(None, (_fold(f) for f in cell.split(","))):
                if _CJK.search(form):
                    # One character alone is too ambiguous ("日" is day, sun, Japan...).
                    if len(_CJK.findall(form)) > 1:
                        cjk.setdefault(form.replace(" ", ""), english)
                elif column in _stemmers:
                    stems = tuple(_stemmers[column].stemWord(w) for w in _LATIN_WORD.findall(form))
                    if stems:
                        latin.setdefault((column, stems), english)
    return cjk, latin


_CJK_FORMS, _LATIN_FORMS = _build()
# (language, stem) pairs that begin a Latin-script form: most words start none, and are
# skipped after one lookup per language.
_LATIN_STARTS = frozenset((language, stems[0]) for language, stems in _LATIN_FORMS)
_LONGEST_CJK = max(map(len, _CJK_FORMS))
CONCEPTS = len(_TABLE.strip().splitlines())


def cjk_translations(text: str) -> list[str]:
    """English for the glossary forms found in the CJK runs of ``text``, longest first."""
    found: list[str] = []
    for run in _CJK_RUN.finditer(_fold(text)):
        chars = run.group(0).replace(" ", "")
        i = 0
        while i < len(chars):
            for length in range(min(_LONGEST_CJK, len(chars) - i), 1, -1):
                english = _CJK_FORMS.get(chars[i : i + length])
                if english is not None:
                    found.append(english)
                    i += length
                    break
            else:
                i += 1
    return found


def latin_translations(
    words: list[str], *, starts: Sequence[bool] | None = None
) -> list[tuple[int, int, str]]:
    """Glossary phrases among ``words``: (start, end, English), longest match first.

    ``words`` are lower-cased words of the message, in order; a phrase matches when each of
    its words stems, in one language, to the glossary form's stems. ``starts`` says which
    words may begin a phrase (all by default).
    """
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        match = _longest_phrase(words, i) if starts is None or starts[i] else None
        if match is None:
            i += 1
            continue
        length, english = match
        found.append((i, i + length, english))
        i += length
    return found


def _longest_phrase(words: list[str], start: int) -> tuple[int, str] | None:
    first = _latin_stems(words[start])
    languages = [language for language, stem in first if (language, stem) in _LATIN_STARTS]
    if not languages:
        return None
    for length in range(min(MAX_PHRASE_WORDS, len(words) - start), 0, -1):
        stems = [first, *(_latin_stems(w) for w in words[start + 1 : start + length])]
        for language in languages:
            index = _LATIN_LANGUAGES.index(language)
            english = _LATIN_FORMS.get((language, tuple(s[index][1] for s in stems)))
            if english is not None:
                return length, english
    return None


__all__ = ["CONCEPTS", "cjk_translations", "latin_translations"]
